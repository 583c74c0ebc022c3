"""A review session on a real recording with the real re-analysis path (Silero, pitch, pauses, candidates).

The recording is espeak-ng speech with known utterance times; the transcript is the one a careful
person would write (as scripts/eval_silences.py builds it), so the test does not hang on what the
random-weight recognizer happens to write. Everything after that is the real pipeline.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audio_pipeline import audio
from audio_pipeline.attribute import build_speakers
from audio_pipeline.pipeline import TranscriptionPipeline
from audio_pipeline.review.corrections import Merge, RoleChange, TextEdit
from audio_pipeline.review.decisions import silence_statuses
from audio_pipeline.review.session import ReviewSession
from audio_pipeline.review.store import ReviewStore
from audio_pipeline.schema import ModelInfo, Pause, Provenance, Segment, Transcript, Word
from tests.conftest import read_mono, speak

pytestmark = pytest.mark.engines

DOCTOR, PARENT = ("S1", "en-us+m3"), ("S2", "en-us+f3")
# (speaker, text) then the silence after it; a tuple of gaps holds short sounds ("Yes.", "Oh.", "Mm.")
# inside one pause: too short for Silero's speech to count as talk, so the pause is one long pause.
SCRIPT: list[tuple[tuple[str, str], str, float | tuple[float, ...]]] = [
    (DOCTOR, "Thanks for coming in today. The scan came back this morning.", 2.5),
    (PARENT, "Thank you for telling us.", (1.3, 1.3, 1.3, 1.3)),  # the pause with sounds in it
    (PARENT, "We brought the forms you asked for.", 6.5),  # a long pause with no emotion before it
    (DOCTOR, "I am afraid the tumour has grown.", 6.0),  # a Silence candidate
    (PARENT, "Can we see the pictures?", 1.0),
]
SOUNDS = ("Yes.", "Oh.", "Mm.")
SCARED = "I'm so scared she is going to die."


def _segment(n: int, start: float, end: float, speaker: str, text: str) -> Segment:
    tokens = text.split()
    step = (end - start) / len(tokens)
    words = [
        Word(
            start_s=round(start + k * step, 3), end_s=round(start + (k + 1) * step, 3), text=tok, probability=1.0, speaker=speaker
        )
        for k, tok in enumerate(tokens)
    ]
    return Segment(
        id=f"seg-{n:05d}", start_s=start, end_s=end, speaker=speaker, text=text, words=words, overlap=False, asr_confidence=1.0
    )


@pytest.fixture(scope="module")
def consult(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Transcript]:
    out = tmp_path_factory.mktemp("review")
    pieces: list[np.ndarray] = []
    segments: list[Segment] = []
    at = 0.0
    for n, ((speaker, voice), text, after) in enumerate(SCRIPT, start=1):
        clip = read_mono(speak(text, out / f"u{n}.wav", voice=voice))
        segments.append(_segment(n, round(at, 3), round(at + len(clip) / 16000, 3), speaker, text))
        pieces.append(clip)
        at += len(clip) / 16000
        gaps = after if isinstance(after, tuple) else (after,)
        for k, gap in enumerate(gaps):
            pieces.append(np.zeros(int(gap * 16000), dtype=np.float32))
            at += int(gap * 16000) / 16000
            if k < len(gaps) - 1:
                sound = read_mono(speak(SOUNDS[k], out / f"s{k}.wav", voice=voice))
                pieces.append(sound)
                at += len(sound) / 16000
    wav = out / "consult.wav"
    sf.write(wav, np.concatenate(pieces), 16000)
    decoded = audio.load(wav, audio.AudioLimits(14400, 32, 4000, 384_000))
    talk = {s.speaker: 0.0 for s in segments}
    machine = ModelInfo(name="reference-transcript")
    transcript = Transcript(
        recording=decoded.info,
        provenance=Provenance(
            package_version="test",
            created_at=datetime.now(UTC),
            device="cpu",
            asr_model=machine,
            asr_compute_type="n/a",
            diarization_model=machine,
            engine_versions={},
            parameters={},
        ),
        language="en",
        speakers=build_speakers(segments, talk),
        segments=segments,
        warnings=[],
    )
    return wav, TranscriptionPipeline().reanalyze(wav, transcript)


def _pause_after(t: Transcript, segment_id: str) -> Pause:
    segment = next(s for s in t.segments if s.id == segment_id)
    return min((p for p in t.pauses if p.start_s >= segment.end_s - 0.5), key=lambda p: p.start_s)


def test_corrections_reanalyse_and_decisions_follow_their_pauses(consult: tuple[Path, Transcript], tmp_path: Path) -> None:
    wav, start = consult
    sounds_pause, quiet_pause, candidate_pause = (_pause_after(start, f"seg-0000{n}") for n in (2, 3, 4))
    assert {c.pause_id for c in start.silence_candidates} == {candidate_pause.id}
    assert sounds_pause.duration_s >= 5.0 and sounds_pause.noise_events == len(SOUNDS)
    assert quiet_pause.duration_s >= 5.0

    path = tmp_path / "consult.json"
    path.write_text(start.to_json())
    session = ReviewSession(ReviewStore(path), wav, TranscriptionPipeline(), coder="RA-1")
    session.decide(0, target="silence", start_s=candidate_pause.start_s, end_s=candidate_pause.end_s, decision="confirmed")
    t = session.decide(1, target="silence", start_s=sounds_pause.start_s, end_s=sounds_pause.end_s, decision="rejected")
    assert t.review is not None and [d.added_by_coder for d in t.review.decisions] == [False, True]

    # The coder hears what the recognizer missed before the quiet pause: it becomes a candidate.
    edited = "We brought the forms you asked for. " + SCARED
    t = session.correct(2, TextEdit(segment_id="seg-00003", text=edited))
    assert t.review is not None and t.review.revision == 3
    assert len(t.silence_candidates) == 2
    new = next(c for c in t.silence_candidates if abs(c.start_s - quiet_pause.start_s) < 0.3)
    assert new.trigger_segment == "seg-00003" and any("scared" in cue for cue in new.trigger_cues)
    states = {round(s.pause.start_s): s.state for s in silence_statuses(t)}
    assert states == {
        round(sounds_pause.start_s): "rejected",
        round(new.start_s): "unreviewed",
        round(candidate_pause.start_s): "confirmed",
    }
    assert not any(d.orphaned for d in t.review.decisions)
    assert [c.kind for c in t.review.corrections] == ["text"]

    # A role set by a coder is kept by every later re-analysis, with the label the coder chose.
    t = session.correct(3, RoleChange(speaker_id="S2", role="parent", label="Mother"))
    parent = next(s for s in t.speakers if s.id == "S2")
    assert (parent.role, parent.role_source, parent.label) == ("parent", "manual", "Mother")

    # The sounds in the long pause were words: merged and typed in, they end the pause, and the
    # decision made on it is kept as orphaned, never dropped.
    t = session.correct(4, Merge(segment_id="seg-00002", next_segment_id="seg-00003"))
    merged = next(s for s in t.segments if s.id == "seg-00002")
    t = session.correct(5, TextEdit(segment_id="seg-00002", text=merged.text.replace("us. ", "us. Yes. Oh. Mm. ")))
    assert t.review is not None
    assert not any(p.start_s < sounds_pause.end_s and p.end_s > sounds_pause.start_s for p in t.pauses if p.duration_s >= 2)
    decision = next(d for d in t.review.decisions if d.decision == "rejected")
    assert decision.orphaned and decision.pause_id is None
    assert next(d for d in t.review.decisions if d.decision == "confirmed").orphaned is False
    parent = next(s for s in t.speakers if s.id == "S2")
    assert (parent.role, parent.role_source, parent.label) == ("parent", "manual", "Mother")
    assert [c.kind for c in t.review.corrections] == ["text", "role", "label", "merge", "text"]

    # Undo brings the pause and its decision back.
    t = session.undo(6)
    assert t.review is not None and t.review.revision == 7
    assert not next(d for d in t.review.decisions if d.decision == "rejected").orphaned
    assert ReviewStore(path).revisions() == list(range(8))
