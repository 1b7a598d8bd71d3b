"""Bearer tokens with roles (viewer < operator < admin).

A token is ``dw_<user id>_<secret>``; the store keeps only the argon2id hash of the secret
(:meth:`dronewall.store.Store.create_user`). Argon2 is slow on purpose (tens of ms), so a
verified token is cached for ``CACHE_S`` under its sha256 (a revocation through the API clears
the cache at once). Missing or invalid token: 401; a role below the one required: 403.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

from dronewall.store import ROLES, Store

#: How long a verified token is trusted without re-hashing, s.
CACHE_S = 300.0


@dataclass(frozen=True)
class User:
    user_id: int
    name: str
    role: str

    def has(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


class AuthError(Exception):
    def __init__(self, status: int, msg: str) -> None:
        super().__init__(msg)
        self.status = status


class TokenAuth:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[str, tuple[User, float]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def user(self, token: str | None) -> User:
        """The user of a token (raises :class:`AuthError` 401)."""
        if not token:
            raise AuthError(401, "missing bearer token")
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != "dw" or not parts[1].isdigit():
            raise AuthError(401, "malformed token")
        row = self.store.user_row(int(parts[1]))
        if row is None or row["revoked"]:
            raise AuthError(401, "unknown or revoked token")
        from argon2.exceptions import VerificationError

        from dronewall.store.store import token_hasher

        try:
            token_hasher().verify(row["token_hash"], parts[2])
        except VerificationError:
            raise AuthError(401, "invalid token") from None
        u = User(int(row["user_id"]), str(row["name"]), str(row["role"]))
        with self._lock:
            self._cache[key] = (u, now + CACHE_S)
        return u

    def require(self, token: str | None, role: str) -> User:
        u = self.user(token)
        if not u.has(role):
            raise AuthError(403, f"needs the {role} role (you are {u.role})")
        return u
