"""canonical/, rules/, engine/ and store/ are held to `mypy --strict` (per-module overrides in pyproject.toml).

`make test` runs mypy over everything shipped; these tests hold the configuration itself: the
strict flags apply to those four packages, no module of theirs is let off, and a bare `dict` in
a strict package is an error where it is not in a package outside them.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MYPY = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
STRICT_PACKAGES = {"canonical", "rules", "engine", "store"}
STRICT_FLAGS = {
    "disallow_any_generics",
    "disallow_subclassing_any",
    "disallow_untyped_calls",
    "disallow_untyped_defs",
    "disallow_incomplete_defs",
    "disallow_untyped_decorators",
    "warn_return_any",
    "no_implicit_reexport",
    "extra_checks",
}


def _overrides(value: bool) -> list[dict[str, object]]:
    return [o for o in MYPY["overrides"] if all(o.get(flag) is value for flag in STRICT_FLAGS)]


def test_the_strict_flags_cover_canonical_rules_engine_and_store():
    (strict,) = _overrides(True)
    modules = set(strict["module"])
    for package in STRICT_PACKAGES:
        assert {package, f"{package}.*"} <= modules
    assert MYPY["warn_unused_ignores"] and MYPY["warn_redundant_casts"] and MYPY["strict_equality"]


def test_no_module_of_the_strict_packages_is_let_off():
    # An override that turns any strict flag back off for a module of canonical/, rules/, engine/ or store/
    # would let that module fall back to lenient typing without the first test noticing.
    for override in MYPY["overrides"]:
        modules = override["module"] if isinstance(override["module"], list) else [override["module"]]
        relaxed = [flag for flag in STRICT_FLAGS if override.get(flag) is False]
        let_off = [m for m in modules if m.split(".")[0] in STRICT_PACKAGES]
        assert not (relaxed and let_off), f"{let_off} let off {relaxed}"


def _mypy(tmp_path: Path, package: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    probe = tmp_path / package / "probe.py"
    probe.write_text("def first(items: list) -> dict:\n    return {'first': items[0]}\n")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"), "--no-incremental", str(probe)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_bare_generic_fails_in_a_strict_package_and_not_elsewhere(tmp_path):
    strict = _mypy(tmp_path, "engine")
    assert strict.returncode == 1, strict.stdout
    assert 'Missing type arguments for generic type "list"' in strict.stdout
    lenient = _mypy(tmp_path, "lifecycle")
    assert lenient.returncode == 0, lenient.stdout
