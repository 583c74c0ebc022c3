"""Word text is normalised once, where a transcript is loaded, so every reader gets clean tokens."""

from __future__ import annotations

from audio_pipeline.analysis.silences import find_silences
from audio_pipeline.schema import load_transcript

from .export.transcripts import sample_transcript


def _with_raw_words() -> str:
    """The sample transcript as faster-whisper's raw form (or a person editing JSON) writes words: ' word'."""
    transcript = sample_transcript()
    segments = []
    for seg in transcript.segments:
        words = [w.model_copy(update={"text": f"  {w.text.strip()} "}) for w in seg.words]
        segments.append(seg.model_copy(update={"words": words}))
    return transcript.model_copy(update={"segments": segments}).to_json()


def test_loaded_words_have_no_leading_trailing_or_doubled_space() -> None:
    loaded = load_transcript(_with_raw_words())
    texts = [w.text for seg in loaded.segments for w in seg.words]
    assert texts and all(t == t.strip() and "  " not in t for t in texts)
    assert loaded.segments[3].words[0].text == "I'm"


def test_breaking_words_read_clean_after_loading_so_a_compassionate_response_stays_compassionate() -> None:
    loaded = load_transcript(_with_raw_words())
    analysis = find_silences(loaded.pauses, loaded.segments)
    (candidate,) = analysis.candidates
    assert candidate.breaking_words.startswith("I'm so sorry.")
    assert "  " not in candidate.breaking_words
    assert candidate.response == "compassionate"


def test_clean_transcripts_load_unchanged() -> None:
    transcript = sample_transcript()
    stripped = transcript.model_copy(
        update={
            "segments": [
                s.model_copy(update={"words": [w.model_copy(update={"text": w.text.strip()}) for w in s.words]})
                for s in transcript.segments
            ]
        }
    )
    assert load_transcript(stripped.to_json()) == stripped
