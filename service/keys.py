"""API keys: shown once at creation, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from sqlalchemy import select

from .store import ApiKey, Store, new_id, utcnow

_PREFIX = "alk_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(store: Store, owner: str) -> tuple[str, str]:
    """(key id, the key itself). The key is 256 random bits; it cannot be recovered later."""
    key = _PREFIX + secrets.token_urlsafe(32)
    key_id = new_id("key")
    with store.session() as session:
        session.add(ApiKey(id=key_id, owner=owner, key_hash=hash_key(key)))
    return key_id, key


_CACHE_S = 5.0  # a revoked key stops working within this long; status polls skip the database meanwhile
_cache: dict[str, tuple[str, float]] = {}


def owner_of(store: Store, key: str) -> str | None:
    """The owner of a live key, else None. The lookup is by hash, so timing reveals nothing about keys."""
    if not key.startswith(_PREFIX) or len(key) > 200:
        return None
    digest = hash_key(key)
    cached = _cache.get(digest)
    if cached is not None and cached[1] > time.monotonic():
        return cached[0]
    owner = _lookup(store, digest)
    if owner is not None:
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[digest] = (owner, time.monotonic() + _CACHE_S)
    return owner


def _lookup(store: Store, digest: str) -> str | None:
    with store.session() as session:
        row = session.scalars(select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))).first()
        if row is None or not hmac.compare_digest(row.key_hash, digest):
            return None
        return row.owner


def revoke_key(store: Store, key_id: str) -> bool:
    with store.session() as session:
        row = session.get(ApiKey, key_id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = utcnow()
        _cache.pop(row.key_hash, None)
        return True


def list_keys(store: Store) -> list[ApiKey]:
    with store.session() as session:
        return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at)))


def any_keys(store: Store) -> bool:
    with store.session() as session:
        return session.scalars(select(ApiKey.id).where(ApiKey.revoked_at.is_(None))).first() is not None
