"""Policy texts: each version the service decides with, stored by digest with the sha256 of its text, the
last good version of each policy file, and the publications other instances pick up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from canonical import canonical_json, sha256_hex
from store.engine_setup import StoreEngine
from store.records import PolicyText, utc_now
from store.tables import policies, policy_sources, policy_text_digests, publications


class PolicyTexts(StoreEngine):
    def store_policy(self, policy: PolicyText) -> None:
        self._ensure_schema()
        with self._guard(), self._write() as conn:
            self._ensure_policy(conn, policy)
        self._known_policies.add(policy.digest)

    def _ensure_policy(self, conn: Connection, policy: PolicyText) -> None:
        if policy.digest in self._known_policies:
            return
        found = conn.execute(select(policies.c.digest).where(policies.c.digest == policy.digest)).first()
        if found is None:
            stored_at = utc_now()
            conn.execute(
                insert(policies).values(
                    digest=policy.digest,
                    version=policy.version,
                    text=policy.text,
                    announced_at=policy.announced_at.isoformat(),
                    effective_from=policy.effective_from.isoformat(),
                    stored_at=stored_at,
                )
            )
            conn.execute(
                insert(policy_text_digests).values(
                    digest=policy.digest, text_sha256=sha256_hex(policy.text), recorded_at=stored_at
                )
            )

    def policy_texts(self) -> Iterator[dict[str, Any]]:
        """Every stored policy: digest, text and the recorded text_sha256 (None if stored before it was kept)."""
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            digests = conn.execute(select(policies.c.digest).order_by(policies.c.stored_at, policies.c.digest)).all()
        for (digest,) in digests:  # one text at a time: texts may be large
            query = (
                select(policies.c.digest, policies.c.text, policy_text_digests.c.text_sha256)
                .select_from(policies.outerjoin(policy_text_digests, policy_text_digests.c.digest == policies.c.digest))
                .where(policies.c.digest == digest)
            )
            with self._guard(), self.engine.connect() as conn:
                found = conn.execute(query).first()
            if found is not None:
                yield dict(found._mapping)

    def policy_text(self, digest: str) -> str | None:
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            return conn.execute(select(policies.c.text).where(policies.c.digest == digest)).scalar()

    def remember_policy_source(self, source: str, policy: PolicyText) -> None:
        """Store ``policy`` as the last good version loaded from ``source`` (a policy file's path)."""
        self._ensure_schema()
        for attempt in (1, 2):
            try:
                with self._guard(), self._write() as conn:
                    self._ensure_policy(conn, policy)
                    values = {"digest": policy.digest, "loaded_at": utc_now()}
                    changed = conn.execute(
                        update(policy_sources).where(policy_sources.c.source == source).values(**values)
                    )
                    if changed.rowcount == 0:
                        conn.execute(insert(policy_sources).values(source=source, **values))
                break
            except IntegrityError:
                if attempt == 2:  # another worker inserted the row first: the update now finds it
                    raise
        self._known_policies.add(policy.digest)

    def policy_for_source(self, source: str) -> dict[str, Any] | None:
        """The last good version remembered for ``source``: digest, version, text, loaded_at; or None."""
        self._ensure_schema()
        query = (
            select(policy_sources.c.digest, policy_sources.c.loaded_at, policies.c.version, policies.c.text)
            .join(policies, policies.c.digest == policy_sources.c.digest)
            .where(policy_sources.c.source == source)
        )
        with self._guard(), self.engine.connect() as conn:
            row = conn.execute(query).first()
        return dict(row._mapping) if row else None

    def publish_policy(self, policy: PolicyText, published_by: str, acknowledged: list[str]) -> bool:
        """Store ``policy`` and publish it; False if that exact policy was published before."""
        self._ensure_schema()
        with self._guard(), self._write() as conn:
            self._ensure_policy(conn, policy)
            found = conn.execute(select(publications.c.id).where(publications.c.digest == policy.digest)).first()
            if found is not None:
                return False
            conn.execute(
                insert(publications).values(
                    digest=policy.digest,
                    published_at=utc_now(),
                    published_by=published_by,
                    acknowledged=canonical_json(sorted(acknowledged)),
                )
            )
        self._known_policies.add(policy.digest)
        return True

    def published_after(self, last_id: int) -> list[dict[str, Any]]:
        """Publications newer than ``last_id``, oldest first, with their policy text."""
        self._ensure_schema()
        query = (
            select(
                publications.c.id,
                publications.c.digest,
                publications.c.published_at,
                publications.c.published_by,
                policies.c.version,
                policies.c.text,
                policies.c.effective_from,
                policies.c.announced_at,
            )
            .join(policies, policies.c.digest == publications.c.digest)
            .where(publications.c.id > last_id)
            .order_by(publications.c.id)
        )
        with self._guard(), self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]
