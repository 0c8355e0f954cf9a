"""Names for the dicts the engine passes around, so a signature says which one it takes.

A validated complaint's shape is fixed by its schema (``engine/complaint.py``, and the same rules
in ``engine/fast_path.py``): nested sections of typed values, read by key where the schema
guarantees them. A decision is the JSON document ``engine/decider.py`` assembles. Both hold values
of several types under fixed keys, so their readers index them directly.
"""

from __future__ import annotations

from typing import Any

Complaint = dict[str, Any]  # a validated complaint: its keys and value types are the schema's
Decision = dict[str, Any]  # a decision as recorded and returned (JSON-ready)
Fact = dict[str, object]  # a durable_rules fact: flat dotted keys, string and integer values
