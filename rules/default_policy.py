"""Which policy file a command or the service uses, and where the shipped default lives.

The default policy and its tests are kept once, at the top of the repository (``policies.yaml``,
``policies.tests.yaml``). A built wheel carries a copy in ``rules/shipped/`` (``setup.py`` copies
them at build time; nothing in the repository holds a second copy). An editable install or a
checkout reads them from the repository's top level.

The lookup order, for every command and the service: ``--policy`` (or a POLICY argument), then
``COMPLAINTS_POLICY``, then ``./policies.yaml`` in the current folder, then the shipped default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "shipped"
_CHECKOUT = Path(__file__).resolve().parent.parent

POLICY_NAME = "policies.yaml"
TESTS_NAME = "policies.tests.yaml"
SHIPPED_FILES = (POLICY_NAME, TESTS_NAME)


def shipped_file(name: str) -> Path:
    """A file shipped with the package: inside it when installed from a wheel, else the checkout's."""
    packaged = _PACKAGED / name
    return packaged if packaged.is_file() else _CHECKOUT / name


DEFAULT_POLICY = shipped_file(POLICY_NAME)
DEFAULT_TESTS = shipped_file(TESTS_NAME)

# An example complaint to try a new deployment with (`complaints init` writes it): the checkout's
# examples/complaint.json, copied into the wheel's rules/shipped/ at build time (setup.py).
EXAMPLE_NAME = "complaint.json"
EXAMPLE_COMPLAINT = (
    _PACKAGED / EXAMPLE_NAME if (_PACKAGED / EXAMPLE_NAME).is_file() else _CHECKOUT / "examples" / EXAMPLE_NAME
)

# How each source is named when a command or the service says which policy it uses.
GIVEN = "given"
ENVIRONMENT = "COMPLAINTS_POLICY"
CURRENT_FOLDER = "./policies.yaml"
SHIPPED = "shipped default"


@dataclass(frozen=True)
class PolicyChoice:
    path: str
    source: str  # GIVEN | ENVIRONMENT | CURRENT_FOLDER | SHIPPED

    def describe(self) -> str:
        why = {
            GIVEN: "given on the command line",
            ENVIRONMENT: "from COMPLAINTS_POLICY",
            CURRENT_FOLDER: "policies.yaml in the current folder",
            SHIPPED: "the default shipped with the package",
        }[self.source]
        return f"policy: {self.path} ({why})"


def choose_policy(
    given: str | None = None, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> PolicyChoice:
    """The policy file by the lookup order; never reads the file (a missing one is reported by its loader)."""
    environ = os.environ if environ is None else environ
    if given:
        return PolicyChoice(given, GIVEN)
    if environ.get(ENVIRONMENT):
        return PolicyChoice(environ[ENVIRONMENT], ENVIRONMENT)
    local = (cwd or Path.cwd()) / POLICY_NAME
    if local.is_file():
        return PolicyChoice(POLICY_NAME if cwd is None else str(local), CURRENT_FOLDER)
    return PolicyChoice(str(DEFAULT_POLICY), SHIPPED)
