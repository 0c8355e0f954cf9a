"""Audit: replay stored decisions, prove the log intact, export it, mask personal data, purge by retention.

Everything here reads the decision store through a ``DecisionStore`` (its
``engine``, ``dialect`` and the tables of ``store.tables``) and never
loads the whole log: every walk goes in batches ordered by ``seq``.
"""
