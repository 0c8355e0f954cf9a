"""Benchmarks of the decision engine (issue 6): corpus, reference implementations, timings.

Run from the repository root, e.g. ``python -m bench.engine --n 100000``; see BENCHMARKS.md.
"""
