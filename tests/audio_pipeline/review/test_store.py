"""The review store: revisions, history beside the transcript, owner-only atomic writes, conflicts, restore."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from audio_pipeline.errors import ReviewConflictError, ReviewInputError
from audio_pipeline.review.store import ReviewStore
from audio_pipeline.schema import Review, Transcript
from tests.audio_pipeline.export.transcripts import sample_transcript


def _with_language(t: Transcript, language: str) -> Transcript:
    return t.model_copy(update={"language": language})


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    path = tmp_path / "session.json"
    path.write_text(sample_transcript().to_json())
    return ReviewStore(path)


def test_each_save_increments_the_revision_and_keeps_the_previous_file(store: ReviewStore) -> None:
    original = store.path.read_bytes()
    first = store.save(_with_language(store.load(), "en-GB"), base_revision=0)
    assert first.review is not None and first.review.revision == 1
    second = store.save(_with_language(first, "en-US"), base_revision=1)
    assert second.review is not None and second.review.revision == 2
    assert store.load() == second
    assert store.revisions() == [0, 1, 2]
    assert store.history_dir == store.path.with_name("session.json.history")
    assert (store.history_dir / "rev-0000.json").read_bytes() == original
    assert store.load_revision(1).language == "en-GB"
    # Transcripts are PHI: the file, its history and the folder are the owner's only.
    for path in (store.path, store.history_dir / "rev-0001.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.history_dir.stat().st_mode) == 0o700
    assert not [p for p in store.path.parent.iterdir() if p.name.endswith(".part")]


def test_a_stale_save_conflicts_and_changes_nothing(store: ReviewStore) -> None:
    store.save(_with_language(store.load(), "en-GB"), base_revision=0)
    before = store.path.read_bytes()
    stale = _with_language(sample_transcript(), "fr")
    with pytest.raises(ReviewConflictError) as caught:
        store.save(stale, base_revision=0)
    assert caught.value.current_revision == 1 and caught.value.code == "review_conflict"
    assert "revision 1" in str(caught.value)
    assert store.path.read_bytes() == before and store.revisions() == [0, 1]
    # The caller still holds its change: reloaded onto the current revision, it saves.
    assert store.save(stale, base_revision=1).review == Review(revision=2)


def test_restore_makes_an_old_revision_current_as_a_new_one(store: ReviewStore) -> None:
    store.save(_with_language(store.load(), "en-GB"), base_revision=0)
    store.save(_with_language(store.load(), "en-US"), base_revision=1)
    restored = store.restore(0, base_revision=2)
    assert restored.language == "en" and restored.review is not None and restored.review.revision == 3
    assert store.revisions() == [0, 1, 2, 3] and store.load_revision(2).language == "en-US"
    with pytest.raises(ReviewConflictError):
        store.restore(1, base_revision=2)
    with pytest.raises(ReviewInputError, match=r"^revision:"):
        store.restore(17, base_revision=3)


def test_two_stores_on_one_file_see_each_others_saves(store: ReviewStore) -> None:
    """A second server (another `alliance review` on the same file) has its own store object."""
    other = ReviewStore(store.path)
    assert other.current_revision() == 0
    store.save(_with_language(store.load(), "en-GB"), base_revision=0)
    with pytest.raises(ReviewConflictError):
        other.save(_with_language(other.load(), "fr"), base_revision=0)
    other.save(_with_language(other.load(), "fr"), base_revision=1)
    assert store.current_revision() == 2 and store.load().language == "fr"
