"""The build backend: setuptools, with what building the manual into the wheel needs.

The wheel ships the manual built (``api/manual/``, served at ``/docs/``): ``setup.py`` runs
``mkdocs build`` at package-build time, and MkDocs' hook (``docs/hooks/reference.py``) generates the
reference pages from the code itself — the click commands, the app's OpenAPI document, the policy
schema — so building the wheel needs the project's own dependencies and the ``docs`` extra, which
this backend asks the build frontend for (pip installs them into its isolated build environment).
An editable install (``pip install -e``) and an sdist build no manual and need nothing more.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 - every other hook is setuptools' own

_PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _manual_requirements() -> list[str]:
    project = tomllib.loads(_PYPROJECT.read_text(encoding="utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["docs"]]


def get_requires_for_build_wheel(config_settings=None) -> list[str]:
    return [*_setuptools.get_requires_for_build_wheel(config_settings), *_manual_requirements()]
