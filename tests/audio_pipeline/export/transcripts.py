"""A hand-built transcript with every feature exports must carry (a fake of our own schema, not of an engine)."""

from __future__ import annotations

from datetime import UTC, datetime

from audio_pipeline.analysis.emotion import detect
from audio_pipeline.analysis.suggestions import suggest
from audio_pipeline.review import link_decisions
from audio_pipeline.schema import (
    LongPause,
    ModelInfo,
    Pause,
    Provenance,
    RecordingInfo,
    Review,
    ReviewDecision,
    Segment,
    SilenceCandidate,
    Speaker,
    Transcript,
    Word,
)

SPEAKERS = {"S1": ("oncologist", "Oncologist"), "S2": ("parent", "Parent 1"), "S3": ("patient", "Patient")}

# (id, start, end, speaker, text); words are spread evenly over each segment.
LINES = [
    ("seg-00001", 0.5, 4.0, "S1", "Thanks for coming in. I'm afraid I don't have good news."),
    ("seg-00002", 4.4, 9.0, "S1", "The scan shows the tumor has grown. I think we should talk about what comes next."),
    ("seg-00003", 9.5, 11.0, "S2", "Is she going to be okay?"),
    # 6.2 s silence candidate, then the oncologist breaks it
    ("seg-00004", 17.2, 21.0, "S1", "I'm so sorry. We will be there for you every step of the way."),
    ("seg-00005", 21.5, 23.5, "S3", "Can we still go at 10:30 tomorrow?"),
    # a 2.6 s pause inside one segment, between "ok" and "then"
    ("seg-00006", 24.0, 32.0, "S2", "Ok then we will see you next week."),
    # 5.5 s long pause with no emotional trigger, then unicode text
    ("seg-00007", 37.5, 40.0, "S1", "Zoë's café drawing — let me show you the scan."),
]


def _words(start: float, end: float, speaker: str, text: str) -> list[Word]:
    tokens = text.split()
    step = (end - start) / len(tokens)
    return [
        Word(
            start_s=round(start + i * step, 3),
            end_s=round(start + (i + 1) * step, 3),
            text=(" " if i else "") + t,
            probability=0.9,
            speaker=speaker,
        )
        for i, t in enumerate(tokens)
    ]


def _segment(seg_id: str, start: float, end: float, speaker: str, text: str) -> Segment:
    words = _words(start, end, speaker, text)
    if seg_id == "seg-00006":  # "Ok" ends at 24.4, "then..." starts at 27.0
        words = [
            w.model_copy(update={"start_s": 24.0, "end_s": 24.4})
            if i == 0
            else w.model_copy(update={"start_s": 27.0 + (i - 1) * 0.7, "end_s": 27.0 + i * 0.7})
            for i, w in enumerate(words)
        ]
    return Segment(
        id=seg_id,
        start_s=start,
        end_s=end,
        speaker=speaker,
        text=text,
        words=words,
        overlap=False,
        asr_confidence=0.9,
        emotion=detect(text),
        role=SPEAKERS[speaker][0],
    )


def _pause(n: int, start: float, end: float, kind: str, before: str, after: str, seg_b: str, seg_a: str) -> Pause:
    return Pause(
        id=f"pause-{n:04d}",
        start_s=start,
        end_s=end,
        duration_s=round(end - start, 1),
        kind=kind,  # type: ignore[arg-type]
        speaker_before=before,
        speaker_after=after,
        segment_before=seg_b,
        segment_after=seg_a,
    )


def sample_transcript() -> Transcript:
    segments = [_segment(*line) for line in LINES]
    pauses = [
        _pause(1, 11.0, 17.2, "between_turns", "S2", "S1", "seg-00003", "seg-00004"),
        _pause(2, 24.4, 27.0, "within_turn", "S2", "S2", "seg-00006", "seg-00006"),
        _pause(3, 32.0, 37.5, "between_turns", "S2", "S1", "seg-00006", "seg-00007"),
        _pause(4, 9.0, 9.5, "between_turns", "S1", "S2", "seg-00002", "seg-00003"),
    ]
    candidate = SilenceCandidate(
        id="silence-0001",
        pause_id="pause-0001",
        start_s=11.0,
        end_s=17.2,
        duration_s=6.2,
        trigger_segment="seg-00003",
        trigger_categories=["empathic_opportunity"],
        trigger_cues=["Is she going to be okay"],
        fell_silent="S2",
        broke_silence="S1",
        breaking_words="I'm so sorry.",
        response="compassionate",
        confidence=0.85,
    )
    long_pause = LongPause(
        pause_id="pause-0003", start_s=32.0, end_s=37.5, duration_s=5.5, speaker_before="S2", speaker_after="S1"
    )
    speakers = [
        Speaker(id=sid, talk_time_s=10.0, turn_count=2, word_count=20, role=role, role_confidence=0.9, label=label)  # type: ignore[arg-type]
        for sid, (role, label) in SPEAKERS.items()
    ]
    return Transcript(
        recording=RecordingInfo(
            sha256="ab" * 32,
            size_bytes=1000,
            container="wav",
            codec="pcm_s16le",
            sample_rate_hz=16000,
            channels=1,
            duration_s=41.0,
            bandwidth="wideband",
            channel_layout="mono",
        ),
        provenance=Provenance(
            package_version="0.1.0",
            created_at=datetime(2026, 11, 22, 12, 0, tzinfo=UTC),
            device="cpu",
            asr_model=ModelInfo(name="test"),
            asr_compute_type="int8",
            diarization_model=None,
            engine_versions={},
            parameters={},
        ),
        language="en",
        speakers=speakers,
        segments=segments,
        pauses=pauses,
        silence_candidates=[candidate],
        long_pauses=[long_pause],
        code_suggestions=suggest(segments),
        warnings=[],
    )


CODER = "Dana (RA)"
DECIDED_AT = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def reviewed_transcript(
    candidate: str | None = "confirmed",
    add_missed: bool = True,
    suggestions: dict[str, str] | None = None,
    note: str = "gave the parent space",
    coder: str = CODER,
) -> Transcript:
    """The sample transcript after a coder's review, decisions linked as the review workspace saves them.

    ``candidate``: the decision on the 6.2 s Silence candidate (None: left unreviewed).
    ``add_missed``: the coder marks the 5.5 s long pause (no trigger) as a Silence the detector missed.
    ``suggestions``: suggestion id to decision; by default the first "sorry" is accepted and the
    warning shot rejected.
    """
    transcript = sample_transcript()
    segments = {s.id: s for s in transcript.segments}
    decisions: list[ReviewDecision] = []

    def decide(target: str, decision: str, start: float, end: float, **extra: object) -> None:
        decisions.append(
            ReviewDecision(
                id=f"d{len(decisions) + 1}",
                target=target,  # type: ignore[arg-type]
                decision=decision,  # type: ignore[arg-type]
                start_s=start,
                end_s=end,
                coder=coder,
                decided_at=DECIDED_AT.replace(minute=30 + len(decisions)),
                **extra,  # type: ignore[arg-type]
            )
        )

    if candidate is not None:
        decide("silence", candidate, 11.0, 17.2, note=note)
    if add_missed:
        decide("silence", "confirmed", 32.0, 37.5, added_by_coder=True)
    wanted = {"sug-0003": "confirmed", "sug-0001": "rejected"} if suggestions is None else suggestions
    for sug in transcript.code_suggestions:
        if sug.id in wanted:
            seg = segments[sug.segment_id]
            decide("suggestion", wanted[sug.id], seg.start_s, seg.end_s, code=sug.code, text=sug.text)
    return link_decisions(transcript.model_copy(update={"review": Review(revision=3, decisions=decisions)}))
