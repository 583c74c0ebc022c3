"""API keys: shown once, stored hashed, revocable."""

from __future__ import annotations

from sqlalchemy import select

from service.keys import any_keys, create_key, list_keys, owner_of, revoke_key
from service.store import ApiKey, Store


def test_keys_are_stored_hashed_and_can_be_revoked(store: Store) -> None:
    assert not any_keys(store)
    key_id, key = create_key(store, "site-a")
    assert key.startswith("alk_") and len(key) > 40
    assert owner_of(store, key) == "site-a" and owner_of(store, key) == "site-a"  # second answer from the cache
    assert owner_of(store, key + "x") is None and owner_of(store, "not-a-key") is None
    with store.session() as session:
        stored = [(k.id, k.owner, k.key_hash) for k in session.scalars(select(ApiKey))]
    assert key not in repr(stored), "only the hash is stored"
    assert [k.owner for k in list_keys(store)] == ["site-a"] and any_keys(store)
    assert revoke_key(store, key_id) and not revoke_key(store, key_id)
    assert owner_of(store, key) is None, "revocation takes effect at once in this process"
    assert not any_keys(store)
