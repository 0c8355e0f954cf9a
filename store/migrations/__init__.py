"""Alembic revisions of the decision store (store/schema.py runs them; CONTRIBUTING.md says how to add one)."""
