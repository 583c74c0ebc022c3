"""API keys: shown once, stored hashed, revocable."""

from __future__ import annotations

from pathlib import Path

from service.keys import any_keys, create_key, list_keys, owner_of, revoke_key
from service.store import Store


def test_keys_are_stored_hashed_and_can_be_revoked(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'keys.db'}")
    assert not any_keys(store)
    key_id, key = create_key(store, "site-a")
    assert key.startswith("alk_") and len(key) > 40
    assert owner_of(store, key) == "site-a" and owner_of(store, key) == "site-a"  # second answer from the cache
    assert owner_of(store, key + "x") is None and owner_of(store, "not-a-key") is None
    assert key not in (tmp_path / "keys.db").read_bytes().decode("latin-1"), "only the hash is stored"
    assert [k.owner for k in list_keys(store)] == ["site-a"] and any_keys(store)
    assert revoke_key(store, key_id) and not revoke_key(store, key_id)
    assert owner_of(store, key) is None, "revocation takes effect at once in this process"
    assert not any_keys(store)
