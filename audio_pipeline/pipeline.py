"""One call from a recording to a Transcript, shared by the CLI, batch and the HTTP service.

Stages report progress through one callback, ``progress(stage, fraction)``, which the CLI's
bars, batch bars and job status all consume.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from . import __version__, audio
from .analysis import AnalysisOptions, analyze
from .analysis.inputs import AnalysisInputs
from .analysis.roles import SessionHints
from .attribute import attribute
from .channels import ChannelDiarizer, channel_warnings, speakers_from_channels
from .devices import resolve_device
from .diarize import Diarization, Diarizer, PyannoteDiarizer, SpeakerCountHint
from .errors import ModelNotFoundError, TranscriptFormatError
from .guards import guard, guard_warnings
from .models import ResolvedModel, resolve_asr, resolve_diarization
from .overlap import Beside, gpu_has_room
from .request import RunRequest, SpeakersFrom
from .schema import (
    AnalysisParameters,
    AsrParameters,
    DiarizationParameters,
    Provenance,
    RunParameters,
    SessionHintParameters,
    Transcript,
    TranscriptWarning,
)
from .settings import Settings
from .speech_witnesses import combined_speech_map
from .transcribe import AsrOptions, AsrSegment, Transcriber, WhisperTranscriber, WordOrderer, build_prompt
from .voiceprints import Voiceprint, VoiceprintRegistry, match_enrolled

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[str, float], None]
STAGES = ("decode", "load_models", "transcribe", "diarize", "attribute", "analyze")
# Batched recognition on a GPU: an hour's transcript path 47 s sequential, 30 s batched (H200, README).
CUDA_ASR_BATCH_SIZE = 16
_ENGINE_PACKAGES = ("faster-whisper", "ctranslate2", "pyannote.audio", "torch", "av", "onnxruntime")


def asr_batch_size(configured: int | None, device: str) -> int:
    """The recognition batch: what was configured, else batched on a GPU and sequential on a CPU."""
    if configured is not None:
        return configured
    return CUDA_ASR_BATCH_SIZE if device == "cuda" else 0


def _no_progress(stage: str, fraction: float) -> None:
    return None


def _ignore_fraction(fraction: float) -> None:
    return None


class _StageClock:
    """Reports each stage's start and end to the progress callback and records its wall time."""

    def __init__(self, report: ProgressCallback) -> None:
        self.report = report
        self.timings_s: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        clock = time.perf_counter()
        self.report(name, 0.0)
        yield
        self.report(name, 1.0)
        self.timings_s[name] = round(time.perf_counter() - clock, 3)


def _engine_versions() -> dict[str, str]:
    found: dict[str, str] = {}
    for package in _ENGINE_PACKAGES:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


class TranscriptionPipeline:
    """Holds settings and engines; engines load once per process and are reused across recordings.

    Tests (and callers with their own engines) pass ``transcriber`` / ``diarizer`` to substitute them.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        transcriber: Transcriber | None = None,
        diarizer: Diarizer | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self._transcriber = transcriber
        self._diarizer = diarizer

    # -- engines -------------------------------------------------------------------------
    def resolve_models(self, asr_model: str | None = None, device: str = "cpu") -> tuple[ResolvedModel, ResolvedModel]:
        """Find both models on disk (cheap), so a missing one fails before any real work."""
        return self._asr_model(asr_model, device), self._diarization_model()

    def _asr_model(self, asr_model: str | None, device: str) -> ResolvedModel:
        default_asr = "large-v3-turbo" if device == "cuda" else "small.en"
        name = asr_model or self.settings.asr_model or default_asr
        return self._transcriber.model if self._transcriber else resolve_asr(name, self.settings)

    def _diarization_model(self) -> ResolvedModel:
        return self._diarizer.model if self._diarizer else resolve_diarization(self.settings.diarization_model, self.settings)

    def engines(self, device: str, asr: ResolvedModel, diar: ResolvedModel) -> tuple[Transcriber, Diarizer]:
        """The engines for resolved models, loaded once per process (the ones passed in, if any)."""
        diarizer = self._diarizer or PyannoteDiarizer(diar, device, **self.diarizer_options())
        return self._transcriber_engine(device, asr), diarizer

    def _transcriber_engine(self, device: str, asr: ResolvedModel) -> Transcriber:
        compute_type = self.settings.asr_compute_type or ("float16" if device == "cuda" else "int8")
        batch_size = asr_batch_size(self.settings.asr_batch_size, device)
        return self._transcriber or WhisperTranscriber(asr, device, compute_type, self.settings.cpu_threads, batch_size)

    def diarizer_options(self) -> dict[str, Any]:
        s = self.settings
        return {
            "embedding_batch_size": s.diarization_embedding_batch_size,
            "runtime": s.diarization_runtime,
            "data_dir": s.data_dir,
            "threads": s.cpu_threads,
        }

    def asr_options(self, model: ResolvedModel, language: str) -> AsrOptions:
        s = self.settings
        return AsrOptions(
            language=None if language == "auto" else language,
            beam_size=s.asr_beam_size,
            initial_prompt=build_prompt(s.asr_prompt, s.asr_vocabulary) if model.takes_prompt else None,
            max_new_tokens=s.asr_max_new_tokens or model.recommended_max_new_tokens,
            keep_non_speech_tags=s.asr_keep_non_speech_tags,
            temperature_fallback=s.asr_temperature_fallback,
        )

    def limits(self) -> audio.AudioLimits:
        return self.settings.audio_limits()

    # -- the run -------------------------------------------------------------------------
    def run(self, path: Path, request: RunRequest | None = None, progress: ProgressCallback | None = None) -> Transcript:
        """Transcribe, diarize, attribute and analyse one recording. ``request`` was validated where it was built."""
        request = request or RunRequest()
        stages = _StageClock(progress or _no_progress)
        settings = self.settings
        hint = request.speaker_hint()
        session = request.session_hints()
        device = resolve_device(request.device or settings.device)
        asr_model = self._asr_model(request.asr_model, device)
        diar_model, diar_missing = self._diarization_for(request.speakers_from)

        with stages.stage("decode"):
            decoded = audio.load(Path(path), self.limits())
        use_channels = speakers_from_channels(request.speakers_from, decoded, diar_missing)
        with stages.stage("load_models"):
            diarizer: Diarizer
            if use_channels or diar_model is None:
                transcriber = self._transcriber_engine(device, asr_model)
                diarizer = ChannelDiarizer(Path(path), self.limits().max_duration_s)
            else:
                transcriber, diarizer = self.engines(device, asr_model, diar_model)
        compute_type = transcriber.compute_type

        language = request.language or settings.language
        asr_options = self.asr_options(asr_model, language)
        dual_party_hint = not use_channels and decoded.dual_party and hint.num_speakers is None and hint.min_speakers is None
        if dual_party_hint:
            hint = SpeakerCountHint(None, 2, hint.max_speakers)
        side = self._diarize_beside(device, use_channels, diarizer, decoded.waveform, hint)
        overlap_clock = time.perf_counter()
        try:
            with stages.stage("transcribe"):
                run = transcriber.transcribe(decoded.waveform, asr_options, lambda f: stages.report("transcribe", f))
                orderer = WordOrderer(decoded.duration_s)
                asr_segments = [_ordered(seg, orderer) for seg in run.segments]
                # Hallucination guards: what is not speech never reaches attribution or analysis.
                # On the acoustic witnesses alone (the words are what is being judged): in far-field audio plain
                # Silero misses quiet talk, and the guards would then set real words aside.
                guarded = guard(asr_segments, decoded.waveform, combined_speech_map(decoded.waveform))
                asr_segments = guarded.segments
        except BaseException:
            if side is not None:
                side.abandon()
            raise

        warnings = [*guard_warnings(len(guarded.dropped)), *channel_warnings(use_channels)]
        has_words = any(seg.words for seg in asr_segments)
        if dual_party_hint:
            warnings.append(
                _warn(
                    "dual_party_channels",
                    "Each channel carries a different party; diarization was told to expect at least 2 speakers.",
                )
            )
        with stages.stage("diarize"):
            if not has_words:
                if side is not None:
                    side.abandon()
                diarization = Diarization(turns=(), overlaps=())  # nothing to attribute: skip the work
            elif side is not None:
                diarization = side.result(lambda f: stages.report("diarize", f))
            else:
                diarization = diarizer.diarize(decoded.waveform, hint, lambda f: stages.report("diarize", f))
        if side is not None:
            # The stage clock timed the wait; the side job's own wall time is the diarization time.
            stages.timings_s["diarize"] = side.seconds
            stages.timings_s["transcribe_and_diarize"] = round(time.perf_counter() - overlap_clock, 3)
        with stages.stage("attribute"):
            attributed = attribute(asr_segments, diarization, settings.attribution_tolerance_s)
            speakers = match_enrolled(
                attributed.speakers,
                diarization.embeddings,
                attributed.speaker_ids,
                settings.data_dir,
                settings.enrollment_threshold,
            )

        warnings += _run_warnings(has_words, attributed.unknown_words, orderer.adjusted, asr_model, diarizer.model)
        if run.language_probability is not None and asr_options.language is None and run.language_probability < 0.5:
            warnings.append(
                _warn(
                    "language_uncertain",
                    f"Detected language '{run.language}' with low confidence "
                    f"({run.language_probability:.2f}); pass --language if it is wrong.",
                )
            )
        options = RunParameters(
            asr=AsrParameters(
                language=language,
                beam_size=asr_options.beam_size,
                initial_prompt=asr_options.initial_prompt,
                max_new_tokens=asr_options.max_new_tokens,
                keep_non_speech_tags=asr_options.keep_non_speech_tags,
                temperature_fallback=asr_options.temperature_fallback,
                batch_size=getattr(transcriber, "batch_size", 0),  # a substituted transcriber never batches
            ),
            diarization=DiarizationParameters(
                num_speakers=hint.num_speakers,
                min_speakers=hint.min_speakers,
                max_speakers=hint.max_speakers,
                attribution_tolerance_s=settings.attribution_tolerance_s,
                speakers_from="channels" if use_channels else "model",
            ),
            analysis=_analysis_parameters(self.analysis_options()),
            session_hints=_hint_parameters(session),
            max_duration_s=settings.max_duration_s,
        )
        transcript = Transcript(
            recording=decoded.info,
            provenance=Provenance(
                package_version=__version__,
                created_at=datetime.now(UTC),
                device=device,
                asr_model=asr_model.info(),
                asr_compute_type=compute_type,
                diarization_model=diarizer.model.info(),
                engine_versions=_engine_versions(),
                options=options,
                timings_s=stages.timings_s,
            ),
            language=run.language,
            language_probability=run.language_probability,
            speakers=speakers,
            segments=attributed.segments,
            warnings=warnings,
            dropped_words=guarded.dropped,
        )
        with stages.stage("analyze"):
            transcript = analyze(transcript, decoded.waveform, self.analysis_options(), hints=session)
        transcript.provenance.timings_s.update(stages.timings_s)
        return transcript

    def _diarize_beside(
        self, device: str, use_channels: bool, diarizer: Diarizer, waveform: Any, hint: SpeakerCountHint
    ) -> Beside[Diarization] | None:
        """Starts diarization on its own thread when recognition and diarization can share the GPU."""
        if not self._may_overlap(device, use_channels):
            return None
        return Beside(lambda progress: diarizer.diarize(waveform, hint, progress), name="diarize")

    def _may_overlap(self, device: str, use_channels: bool) -> bool:
        settings = self.settings
        if device != "cuda" or use_channels or not settings.overlap_gpu_stages:
            return False  # on a CPU the two engines would only share the same cores
        return gpu_has_room(settings.overlap_min_free_gpu_mb)

    def _diarization_for(self, speakers_from: SpeakersFrom) -> tuple[ResolvedModel | None, ModelNotFoundError | None]:
        """The diarization model the request may need; for 'auto', a missing one matters only if the channels cannot serve."""
        if speakers_from == "channels":
            return None, None
        try:
            return self._diarization_model(), None
        except ModelNotFoundError as exc:
            if speakers_from == "model":
                raise
            return None, exc

    def enroll(self, clinician_id: str, role: str, paths: list[Path], device: str | None = None) -> Voiceprint:
        """Store a clinician's voiceprint from recordings where they are the main speaker."""
        device = resolve_device(device or self.settings.device)
        diar_model = (
            self._diarizer.model if self._diarizer else resolve_diarization(self.settings.diarization_model, self.settings)
        )
        diarizer = self._diarizer or PyannoteDiarizer(diar_model, device, **self.diarizer_options())
        embeddings = []
        for path in paths:
            decoded = audio.load(Path(path), self.limits())
            result = diarizer.diarize(decoded.waveform, SpeakerCountHint(), _ignore_fraction)
            talk: dict[str, float] = {}
            for turn in result.turns:
                talk[turn.speaker] = talk.get(turn.speaker, 0.0) + turn.end_s - turn.start_s
            main = max(talk, key=lambda label: talk[label], default=None)
            if main is not None and main in result.embeddings:
                embeddings.append(result.embeddings[main])
        model = f"{diar_model.name}@{diar_model.revision or 'local'}"
        return VoiceprintRegistry(self.settings.data_dir).add(clinician_id, role, embeddings, model)

    def analysis_options(self) -> AnalysisOptions:
        s = self.settings
        options = AnalysisOptions(s.min_pause_s, s.silence_min_s, s.silence_trigger_window_s, s.emotion_min_score)
        return replace(options, lexicon=s.emotion_lexicon) if s.emotion_lexicon else options

    def analysis_inputs(self, path: Path, transcript: Transcript) -> AnalysisInputs:
        """Decode the recording a transcript came from and measure what every re-analysis of it reads.

        Measured once (the speech map over the whole recording, the transcript's words one of its witnesses),
        then passed to ``reanalyze`` after each correction.
        """
        decoded = audio.load(Path(path), self.limits())
        if decoded.info.sha256 != transcript.recording.sha256:
            raise TranscriptFormatError(
                "the transcript was made from a different recording (its SHA-256 does not match); give the recording it came from"
            )
        return AnalysisInputs.measure(decoded.waveform, transcript.segments)

    def reanalyze(
        self,
        path: Path,
        transcript: Transcript,
        progress: ProgressCallback | None = None,
        session: SessionHints | None = None,
        inputs: AnalysisInputs | None = None,
    ) -> Transcript:
        """Recompute pauses, emotion and Silence candidates for a (possibly hand-corrected) transcript.

        The recording is decoded again for its speech map, unless ``inputs`` (from ``analysis_inputs``)
        already hold it; nothing is transcribed or diarized.
        """
        stages = _StageClock(progress or _no_progress)
        if inputs is None:
            with stages.stage("decode"):
                inputs = self.analysis_inputs(path, transcript)
        with stages.stage("analyze"):
            result = analyze(transcript, inputs, self.analysis_options(), recount_speakers=True, hints=session)
        previous = result.provenance.options
        options = RunParameters(
            asr=previous.asr if previous else None,
            diarization=previous.diarization if previous else None,
            analysis=_analysis_parameters(self.analysis_options()),
            session_hints=_hint_parameters(session),
            max_duration_s=previous.max_duration_s if previous else None,
        )
        provenance = result.provenance.model_copy(update={"options": options, "analyzed_at": datetime.now(UTC)})
        return result.model_copy(update={"provenance": provenance})


def _analysis_parameters(options: AnalysisOptions) -> AnalysisParameters:
    return AnalysisParameters(
        min_pause_s=options.min_pause_s,
        silence_min_s=options.min_silence_s,
        silence_trigger_window_s=options.trigger_window_s,
        emotion_min_score=options.min_emotion_score,
        emotion_lexicon=options.lexicon.name,
    )


def _hint_parameters(session: SessionHints | None) -> SessionHintParameters | None:
    if session is None:
        return None
    return SessionHintParameters(attendees=dict(session.attendees), patient_age=session.patient_age, setting=session.setting)


def _ordered(segment: AsrSegment, orderer: WordOrderer) -> AsrSegment:
    words = []
    for word in segment.words:
        start_s, end_s = orderer.place(word.start_s, word.end_s)
        words.append(replace(word, start_s=start_s, end_s=end_s))
    return replace(segment, words=tuple(words))


def _warn(code: str, message: str) -> TranscriptWarning:
    return TranscriptWarning(code=code, message=message)


def _run_warnings(
    has_words: bool, unknown_words: int, adjusted: int, asr: ResolvedModel, diar: ResolvedModel
) -> list[TranscriptWarning]:
    found = []
    if not has_words:
        found.append(_warn("no_speech", "No speech was found in the recording; the transcript has no segments."))
    if unknown_words:
        found.append(
            _warn("unknown_speaker", f"{unknown_words} word(s) fell outside every speaker turn and are marked 'unknown'.")
        )
    if adjusted:
        found.append(
            _warn(
                "timestamps_adjusted",
                f"{adjusted} word timestamp(s) were moved to keep words in order and inside the recording.",
            )
        )
    if asr.synthetic or diar.synthetic:
        found.append(_warn("synthetic_models", "Random-weight test models were used: the text and speakers are meaningless."))
    return found
