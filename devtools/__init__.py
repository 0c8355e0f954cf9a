"""Helpers for tests and benchmarks (not shipped): a throwaway PostgreSQL server."""
