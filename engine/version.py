"""The one version string: the installed package's own (``pyproject.toml``), recorded in every decision."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "complaint-decisions"


def package_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError as exc:  # running from a checkout that was never installed
        raise RuntimeError(f"{DISTRIBUTION} is not installed: run `make setup` (pip install -e .) first") from exc


ENGINE_VERSION = package_version()
