"""Decisions: validate a complaint, evaluate it on the compiled policy, count deadlines."""
