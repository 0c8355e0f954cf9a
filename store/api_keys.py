"""API keys: created (the secret shown once, its hash stored), looked up by token, listed, revoked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row

from store.engine_setup import StoreEngine
from store.keys import ApiKey, check_roles, hash_key, new_key
from store.records import utc_now
from store.tables import api_keys


class ApiKeys(StoreEngine):
    def create_key(self, name: str, roles: list[str], person: str | None = None) -> tuple[ApiKey, str]:
        """A new key; the returned token is the only copy of the secret. ``person``: who it belongs to."""
        role_set = check_roles(roles)
        key_id, token, digest = new_key()
        key = ApiKey(key_id=key_id, name=name, roles=role_set, created_at=utc_now(), person=person or None)
        self._ensure_schema()
        with self._guard(), self._write() as conn:
            conn.execute(
                insert(api_keys).values(
                    key_id=key_id,
                    key_hash=digest,
                    name=name,
                    roles=",".join(sorted(role_set)),
                    created_at=key.created_at,
                    person=key.person,
                )
            )
        return key, token

    def key_for_token(self, token: str) -> ApiKey | None:
        """The active key whose secret is ``token``, or None."""
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            row = conn.execute(
                select(api_keys).where(api_keys.c.key_hash == hash_key(token), api_keys.c.revoked_at.is_(None))
            ).first()
        return _key(row) if row else None

    def list_keys(self) -> list[ApiKey]:
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            rows = conn.execute(select(api_keys).order_by(api_keys.c.created_at)).all()
        return [_key(row) for row in rows]

    def active_key_count(self) -> int:
        return sum(1 for key in self.list_keys() if key.revoked_at is None)

    def revoke_key(self, key_id: str) -> bool:
        self._ensure_schema()
        with self._guard(), self._write() as conn:
            result = conn.execute(
                update(api_keys)
                .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=utc_now())
            )
        return result.rowcount == 1


def _key(row: Row[Any]) -> ApiKey:
    return ApiKey(
        key_id=row.key_id,
        name=row.name,
        roles=frozenset(row.roles.split(",")),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        person=row.person,
    )
