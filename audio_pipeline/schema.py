"""The transcript contract: pydantic models every stage after attribution reads and writes.

Change a model here and bump SCHEMA_VERSION, then regenerate the committed JSON Schema with
``python scripts/generate_schema.py`` (a test fails while the two disagree).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.5.0"
# Later versions only added fields with defaults, so earlier transcripts still load.
ACCEPTED_INPUT_VERSIONS = ("1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0", "1.5.0")
SILENCE_CODE = "Presence / Silence"
UNKNOWN_SPEAKER = "unknown"
Role = Literal["oncologist", "other_clinician", "parent", "patient", "other_family", "unknown"]
ROLES: tuple[str, ...] = ("oncologist", "other_clinician", "parent", "patient", "other_family")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecordingInfo(_Model):
    """What the source file was. No file name: names of recordings often carry PHI."""

    sha256: str = Field(description="SHA-256 of the file's bytes, hex.")
    size_bytes: int = Field(ge=0)
    container: str = Field(description="Container format as the decoder names it, e.g. 'wav', 'mov,mp4,m4a'.")
    codec: str
    sample_rate_hz: int = Field(description="Sample rate of the source audio track.")
    channels: int = Field(description="Channel count of the source audio track.")
    duration_s: float = Field(ge=0, description="Decoded duration.")
    bandwidth: Literal["telephone", "wideband", "unknown"] = Field(
        description="'telephone' for 8 kHz or 300-3400 Hz band-limited audio; 'unknown' when there is no signal."
    )
    channel_layout: Literal["mono", "multichannel", "dual_identical", "dual_mixed", "dual_party"] = Field(
        description="'dual_party': two channels that carry different parties (call recorders); used as a diarization hint."
    )


class ModelInfo(_Model):
    name: str
    repo_id: str | None = None
    revision: str | None = None
    synthetic: bool = Field(False, description="True for random-weight test models: the text is nonsense.")


class AsrParameters(_Model):
    """The recognizer's options for this run (as faster-whisper's TranscriptionOptions)."""

    language: str
    beam_size: int
    initial_prompt: str | None
    max_new_tokens: int | None
    keep_non_speech_tags: bool
    temperature_fallback: bool
    word_timestamps: bool = True
    vad_filter: bool = True
    # 0: sequential decoding; N: faster-whisper's BatchedInferencePipeline, N windows at once, each
    # without the previous window's text (its words can differ, so the transcript says which ran).
    batch_size: int = 0


class DiarizationParameters(_Model):
    num_speakers: int | None
    min_speakers: int | None
    max_speakers: int | None
    attribution_tolerance_s: float
    speakers_from: Literal["model", "channels"] | None = Field(
        None, description="Where speakers came from: the diarization model, or one party per channel (schema 1.5.0)."
    )


class AnalysisParameters(_Model):
    """Named as the settings that set them (ALLIANCE_MIN_PAUSE_S...)."""

    min_pause_s: float
    silence_min_s: float
    silence_trigger_window_s: float
    emotion_min_score: float
    emotion_lexicon: str = Field(description="File name of the emotion lexicon used (the shipped one, or a site's own).")


class SessionHintParameters(_Model):
    attendees: dict[str, int] = Field(default_factory=dict)
    patient_age: int | None = None
    setting: str | None = None


class RunParameters(_Model):
    """Every option a run used, by stage (schema 1.5.0; earlier transcripts have the loose ``parameters``)."""

    asr: AsrParameters | None = Field(None, description="None on a transcript analysed again that predates 1.5.0.")
    diarization: DiarizationParameters | None = None
    analysis: AnalysisParameters
    session_hints: SessionHintParameters | None = None
    max_duration_s: float | None = None


class Provenance(_Model):
    package: str = "alliance"
    package_version: str
    created_at: datetime
    device: str
    asr_model: ModelInfo
    asr_compute_type: str
    diarization_model: ModelInfo | None
    engine_versions: dict[str, str]
    options: RunParameters | None = Field(None, description="Every option the run used, by stage (from 1.5.0).")
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="Transcripts before 1.5.0: the options as a loose dict (now in options)."
    )
    timings_s: dict[str, float] = Field(default_factory=dict, description="Wall seconds per stage.")
    analyzed_at: datetime | None = Field(None, description="When analysis was last re-run on a corrected transcript.")


class Word(_Model):
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)
    text: str
    probability: float = Field(ge=0, le=1)
    speaker: str


class DroppedWord(_Model):
    """A word the recognizer wrote that the hallucination guards judged not to be speech (schema 1.5.0).

    Kept here, never deleted: it splits no pause, breaks no silence and counts as no one's talk.
    """

    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)
    text: str
    probability: float = Field(ge=0, le=1)
    reason: Literal["tag", "non_speech", "silence_phrase"] = Field(
        description="tag: a bracketed non-speech token such as [BLANK_AUDIO]; non_speech: outside every stretch the "
        "speech map calls speech; silence_phrase: a phrase Whisper writes over silence ('Thank you.', a repeat) in "
        "quiet audio or with a high no-speech probability."
    )


class EmotionCue(_Model):
    category: str
    start_char: int = Field(ge=0, description="Offset of the cue in the segment text.")
    end_char: int = Field(ge=0)
    text: str
    rule: str = Field(description="Id of the lexicon rule that fired ('vader.negative' for a VADER sentence score).")
    family: str = Field(
        "emotion_lexicon",
        description="Rule family that fired: emotion_lexicon, bad_news_pattern, prognosis_question, distress_pattern, "
        "guilt_pattern, anger_pattern, child_voice_pattern, hope_pattern, naming_pattern, nonverbal_tag, vader "
        "(sentence-level negative affect), or classifier (the learned witness, logistic regression on word n-grams).",
    )
    resource: str = Field("alliance emotion lexicon", description="The rule data or library the cue comes from.")
    weight: float | None = Field(None, ge=0, le=1, description="How strongly this cue alone signals emotion.")
    vader_compound: float | None = Field(None, ge=-1, le=1, description="VADER compound score of the sentence (vader cues).")
    heard_as: str | None = Field(
        None, description="When a recognizer's word was read as a near or sound-alike emotion word: the word it was read as."
    )
    classifier_probability: float | None = Field(
        None, ge=0, le=1, description="The learned classifier's probability that the sentence is emotional (classifier cues)."
    )
    classifier_terms: list[str] | None = Field(
        None, description="The words that weighed most for the learned classifier's cue, strongest first (classifier cues)."
    )


class Emotion(_Model):
    score: float = Field(ge=0, le=1)
    categories: list[str]
    cues: list[EmotionCue]


class Segment(_Model):
    id: str
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)
    speaker: str = Field(description=f"Speaker id (S1, S2...) or '{UNKNOWN_SPEAKER}'.")
    text: str
    words: list[Word]
    overlap: bool = Field(description="Another speaker talks during part of this segment.")
    asr_confidence: float = Field(ge=0, le=1, description="Mean word probability.")
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    emotion: Emotion | None = Field(None, description="Emotional content found in the text, if any.")
    role: Role | None = Field(None, description="The role of this segment's speaker.")


def word_offsets(segment: Segment) -> list[tuple[Word, int, int]] | None:
    """Where each word sits in the segment text, or None when a person edited the text away from the words."""
    found: list[tuple[Word, int, int]] = []
    cursor = 0
    for word in segment.words:
        token = word.text.strip()
        if not token:
            continue
        at = segment.text.find(token, cursor)
        if at < 0:
            return None
        found.append((word, at, at + len(token)))
        cursor = at + len(token)
    return found


class Speaker(_Model):
    id: str
    talk_time_s: float = Field(ge=0, description="Time this speaker holds the floor in the diarization.")
    turn_count: int = Field(ge=0, description="Runs of consecutive segments by this speaker.")
    word_count: int = Field(ge=0)
    role: Role = "unknown"
    role_confidence: float = Field(0.0, ge=0, le=1)
    role_source: Literal["automatic", "manual", "enrolled"] = Field(
        "automatic",
        description="'manual': set by a person; 'enrolled': the voice matched an enrolled clinician. Both are kept "
        "by every later analysis.",
    )
    enrolled_id: str | None = Field(None, description="Pseudonymous id of the enrolled clinician whose voice matched.")
    label: str = Field("", description="Display name for coders: 'Oncologist', 'Parent 1', 'Patient'.")
    evidence: list[str] = Field(default_factory=list, description="Short reasons for the role, with their numbers.")
    needs_review: bool = Field(False, description="Role confidence is below the review threshold.")


class Pause(_Model):
    """A stretch with no speech, measured on the audio's speech-activity map."""

    id: str
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)
    duration_s: float = Field(ge=0, description="Rounded to 0.1 s.")
    kind: Literal["within_turn", "between_turns", "unattributed"]
    speaker_before: str | None
    speaker_after: str | None
    segment_before: str | None
    segment_after: str | None
    noise_events: int = Field(0, ge=0, description="Non-speech sounds inside it (breath, sniff, paper...).")
    bounds: Literal["speech", "recording_start", "recording_end", "whole_recording"] = Field(
        "speech",
        description=(
            "What bounds it (schema 1.5.0): speech on both sides; or the recording's start (no speech before it),"
            " its end (no speech after it), or both (no speech at all)."
        ),
    )


class UntranscribedSpeech(_Model):
    """Speech the recognizer wrote nothing for: it ends a pause and is never counted as silence."""

    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)


class SilenceCandidate(_Model):
    """A pause long enough for the Silence code that follows emotional content: for a coder to confirm."""

    id: str
    pause_id: str
    start_s: float
    end_s: float
    duration_s: float
    trigger_segment: str
    trigger_categories: list[str]
    trigger_cues: list[str]
    trigger_evidence: list[str] = Field(
        default_factory=list,
        description="Per trigger cue, the rule family, rule id and resource that fired (no transcript text).",
    )
    trigger_end_s: float | None = Field(None, description="When the triggering cue ended, from word timings.")
    fell_silent: str | None = Field(description="Speaker of the last words before the pause.")
    broke_silence: str | None = Field(description="Speaker of the first words after it (None: recording ended).")
    breaking_words: str = ""
    response: Literal["compassionate", "invitational", "other", "none"]
    confidence: float = Field(ge=0, le=1)
    proposed_code: str = SILENCE_CODE


class LongPause(_Model):
    """A pause of Silence length with no emotional trigger, listed so coders can check it."""

    pause_id: str
    start_s: float
    end_s: float
    duration_s: float
    speaker_before: str | None
    speaker_after: str | None


class CodeSuggestion(_Model):
    """A codebook code whose lexical signature appears in a segment: a suggestion, never a code."""

    id: str
    code: str = Field(description="'Theme / Code' in the alliance codebook.")
    segment_id: str
    start_char: int = Field(ge=0, description="Offset of the matched span in the segment text.")
    end_char: int = Field(ge=0)
    text: str
    confidence: float = Field(ge=0, le=1)
    rule: str = Field(description="Id of the suggestion rule that fired.")
    status: Literal["suggested"] = Field("suggested", description="Always 'suggested': a coder accepts or rejects it.")


class TranscriptWarning(_Model):
    code: str
    message: str


class Deidentification(_Model):
    """This transcript is a de-identified copy: what kinds were replaced and how often, never what they were."""

    replaced: dict[str, int] = Field(description="Replacements per tag kind: patient, parent, person, date, phone...")
    date_policy: Literal["keep_year", "all", "none"]
    names_supplied: int = Field(ge=0, description="How many participants' names the study team supplied.")
    audio_redacted: bool = Field(False, description="A copy of the recording with the replaced words muted was written.")


class ReviewDecision(_Model):
    """A coder's decision on a pause (Silence or not) or on a code suggestion.

    A decision belongs to what it was made on, matched by time after every re-analysis, never by
    list position or id: ids are renumbered when a correction adds or removes a pause.
    """

    id: str = Field(description="Stable id of the decision: 'd1', 'd2'...")
    target: Literal["silence", "suggestion"] = Field(
        description="'silence': a pause of Silence length (a candidate, or one the detector did not flag); "
        "'suggestion': a code suggestion."
    )
    decision: Literal["confirmed", "rejected", "unsure"] = Field(
        description="silence: confirmed is the codebook's Silence, rejected an ordinary pause, unsure still open. "
        "suggestion: confirmed makes it a coding, rejected removes it."
    )
    start_s: float = Field(ge=0, description="The pause's start (silence) or the suggestion's segment start, when decided.")
    end_s: float = Field(ge=0, description="The pause's end (silence) or the suggestion's segment end, when decided.")
    code: str | None = Field(None, description="suggestion: the suggested code ('Theme / Code').")
    text: str | None = Field(None, description="suggestion: the matched text span, to find it again.")
    added_by_coder: bool = Field(False, description="silence: the detector did not flag this pause; a coder marked it.")
    note: str = Field("", description="The coder's note.")
    coder: str = Field(description="Who decided (the name the coder gave, or the service's owner).")
    decided_at: datetime
    pause_id: str | None = Field(None, description="The pause it matches now; None when orphaned.")
    suggestion_id: str | None = Field(None, description="The suggestion it matches now; None when orphaned.")
    orphaned: bool = Field(
        False, description="A correction made what it was decided on disappear; kept and shown, never dropped silently."
    )


class ReviewCorrection(_Model):
    """A correction a coder made. The corrected text itself lives in the segment."""

    kind: Literal["text", "speaker", "split", "merge", "role", "label"]
    segment_id: str | None = Field(None, description="The segment corrected (for split and merge, the first one).")
    speaker_id: str | None = Field(None, description="The speaker whose role or label was set, or the new speaker.")
    coder: str
    at: datetime


class Review(_Model):
    """What coders did to this transcript in the review workspace."""

    revision: int = Field(0, ge=0, description="Incremented on every save; a save from an older revision is refused.")
    decisions: list[ReviewDecision] = Field(default_factory=list)
    corrections: list[ReviewCorrection] = Field(default_factory=list)


class Transcript(_Model):
    schema_version: Literal["1.5.0"] = "1.5.0"
    recording: RecordingInfo
    provenance: Provenance
    language: str
    language_probability: float | None = None
    speakers: list[Speaker]
    segments: list[Segment]
    pauses: list[Pause] = Field(default_factory=list)
    untranscribed_speech: list[UntranscribedSpeech] = Field(default_factory=list)
    silence_candidates: list[SilenceCandidate] = Field(default_factory=list)
    long_pauses: list[LongPause] = Field(default_factory=list)
    code_suggestions: list[CodeSuggestion] = Field(default_factory=list)
    warnings: list[TranscriptWarning]
    dropped_words: list[DroppedWord] = Field(
        default_factory=list, description="Recognizer output judged not to be speech (schema 1.5.0); see warnings."
    )
    deidentification: Deidentification | None = Field(
        None, description="Set on a de-identified copy; the canonical transcript never has it."
    )
    review: Review | None = Field(None, description="Coders' decisions and corrections (schema 1.5.0); None before any review.")

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"


def load_transcript(text: str) -> Transcript:
    """Parse a transcript in our schema, accepting earlier versions whose fields are a subset."""
    from pydantic import ValidationError

    from .errors import TranscriptFormatError

    try:
        data = json.loads(text)
    except ValueError as exc:
        raise TranscriptFormatError("the transcript is not valid JSON") from exc
    if not isinstance(data, dict) or data.get("schema_version") not in ACCEPTED_INPUT_VERSIONS:
        raise TranscriptFormatError(f"the transcript is not in a schema version we read ({', '.join(ACCEPTED_INPUT_VERSIONS)})")
    data["schema_version"] = SCHEMA_VERSION
    try:
        transcript = Transcript.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise TranscriptFormatError(f"the transcript does not match the schema at {where}: {first['msg']}") from exc
    return _normalise_words(transcript)


def _normalise_words(transcript: Transcript) -> Transcript:
    """Word text as the pipeline writes it: no leading, trailing or doubled whitespace.

    The schema allows faster-whisper's raw ' word' form (and people editing JSON write it); every
    reader that joins words (the silence breaker's first words) expects clean tokens.
    """
    segments = []
    for segment in transcript.segments:
        words = [
            w if w.text == " ".join(w.text.split()) else w.model_copy(update={"text": " ".join(w.text.split())})
            for w in segment.words
        ]
        changed = any(a is not b for a, b in zip(words, segment.words, strict=True))
        segments.append(segment.model_copy(update={"words": words}) if changed else segment)
    return transcript.model_copy(update={"segments": segments})


def json_schema() -> dict[str, Any]:
    schema = Transcript.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://alliance.invalid/schema/transcript-{SCHEMA_VERSION}.json"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
