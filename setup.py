"""Build hook: ship the top-level default policy and its tests, and the manual built, inside the wheel.

``policies.yaml`` and ``policies.tests.yaml`` stay at the top of the repository, where compliance
staff edit them and ``make test`` checks them; the wheel carries a copy of each in
``rules/shipped/``, made here at build time (``rules/default_policy.py`` finds them there).

The manual (``docs/``, ``mkdocs.yml``) is built into ``api/manual/`` of the wheel, which the app
serves at ``/docs/`` (``api/manual.py``); its reference pages are generated from this source tree, so
the build environment needs the project's dependencies and MkDocs (``build_backend/``). An editable
install builds no manual: a checkout serves ``site/`` (``make docs``). The rest of the build
configuration is in ``pyproject.toml``.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("policies.yaml", "policies.tests.yaml")  # rules.default_policy.SHIPPED_FILES
EXAMPLE = "examples/complaint.json"  # rules.default_policy.EXAMPLE_COMPLAINT: `complaints init` writes it
SOURCE = Path(__file__).resolve().parent


class BuildWithShippedPolicy(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "rules" / "shipped"
        self.mkpath(str(target))
        for name in SHIPPED:
            self.copy_file(name, str(target / name))
        self.copy_file(EXAMPLE, str(target / Path(EXAMPLE).name))
        if not getattr(self, "editable_mode", False):
            self._build_manual(Path(self.build_lib) / "api" / "manual")

    def _build_manual(self, target: Path) -> None:
        """``mkdocs build --strict`` of this tree into the wheel; the code it documents is this tree's."""
        with tempfile.TemporaryDirectory() as metadata:
            # engine.version reads the installed package's version: give the build its own, not installed yet.
            info = Path(metadata) / f"complaint_decisions-{self.distribution.get_version()}.dist-info"
            info.mkdir()
            (info / "METADATA").write_text(
                f"Metadata-Version: 2.1\nName: complaint-decisions\nVersion: {self.distribution.get_version()}\n"
            )
            environment = {
                **os.environ,
                "PYTHONPATH": os.pathsep.join([str(SOURCE), metadata]),
                "NO_MKDOCS_2_WARNING": "1",
            }
            command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(target)]
            built = subprocess.run(command, cwd=SOURCE, env=environment, capture_output=True, text=True)
        if built.returncode != 0:
            raise SystemExit(f"building the manual failed (mkdocs build --strict):\n{built.stdout}{built.stderr}")


setup(cmdclass={"build_py": BuildWithShippedPolicy})
