"""Names for the dicts the engine passes around, so a signature says which one it takes.

A validated complaint's shape is fixed by its schema (``engine/complaint.py``, and the same rules
in ``engine/fast_path.py``): nested sections of typed values, read by key where the schema
guarantees them. A decision is the JSON document ``engine/decider.py`` assembles, a deadline one of
its ``deadlines`` (``engine/deadlines.py`` makes it, ``engine/clock.py`` adds its state on the
clock). They hold values of several types under fixed keys, so their readers index them directly.
An event is one reported on a complaint (or a breach the escalation run recorded) in its stored
form: every value of it is text.
"""

from __future__ import annotations

from typing import Any

Complaint = dict[str, Any]  # a validated complaint: its keys and value types are the schema's
Decision = dict[str, Any]  # a decision as recorded and returned (JSON-ready)
Deadline = dict[str, Any]  # one of a decision's deadlines (JSON-ready)
Event = dict[str, str]  # an event as stored: type, at (ISO 8601), note, reference; a breach's kind, rule
Period = dict[str, str | int | bool]  # a deadline's period as a decision states it: after/with, unit, roll_forward
Waiting = dict[str, str]  # what a deadline waits for: an event (and its label) or another deadline kind
Fact = dict[str, object]  # a durable_rules fact: flat dotted keys, string and integer values
