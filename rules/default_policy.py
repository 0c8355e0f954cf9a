"""Where the default policy lives when no other is named: ``policies.yaml`` beside the packages."""

from __future__ import annotations

from pathlib import Path

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "policies.yaml"
