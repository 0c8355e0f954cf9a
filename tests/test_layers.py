"""The layers hold: the import-linter contracts in pyproject.toml pass, cover every package, and do catch an upward import.

`make test` also runs `lint-imports` itself, so its report (every contract KEPT) is in the CI log.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
SHIPPED = ["canonical", "rules", "engine", "store", "lifecycle", "audit", "api", "cli", "console"]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def _top_level_packages() -> set[str]:
    return {p.parent.name for p in REPO.glob("*/__init__.py")}


def test_every_contract_is_kept():
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_package_is_under_contract():
    # A new top-level package must be placed in a layer, or it could import anything.
    assert _top_level_packages() == set(CONFIG["root_packages"])
    layered = {name.strip() for layer in CONFIG["contracts"][0]["layers"] for name in layer.split("|")}
    assert layered | {"devtools"} == set(CONFIG["root_packages"])
    assert CONFIG["contracts"][0]["type"] == "layers"


def test_an_upward_import_breaks_the_layers(tmp_path):
    for name in CONFIG["root_packages"]:
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    with (tmp_path / "rules" / "wording.py").open("a", encoding="utf-8") as f:
        f.write("\nimport api.settings  # noqa: E402,F401 - the upward import under test\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "rules is not allowed to import api" in result.stdout
    assert "rules.wording -> api.settings" in result.stdout


def test_no_layer_imports_app():
    # app.py is a module, which import-linter cannot take as a root: checked here instead.
    offenders = []
    for package in SHIPPED + ["devtools"]:
        for path in (REPO / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                if any(name == "app" or name.startswith("app.") for name in names):
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []


def test_app_imports_only_shipped_packages():
    tree = ast.parse((REPO / "app.py").read_text(encoding="utf-8"))
    ours = set(CONFIG["root_packages"])
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
    assert imported & ours <= set(SHIPPED)
