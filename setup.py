"""Build hook: ship the top-level default policy and its tests inside the wheel.

``policies.yaml`` and ``policies.tests.yaml`` stay at the top of the repository, where compliance
staff edit them and ``make test`` checks them; the wheel carries a copy of each in
``rules/shipped/``, made here at build time (``rules/default_policy.py`` finds them there). The
rest of the build configuration is in ``pyproject.toml``.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("policies.yaml", "policies.tests.yaml")  # rules.default_policy.SHIPPED_FILES


class BuildWithShippedPolicy(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "rules" / "shipped"
        self.mkpath(str(target))
        for name in SHIPPED:
            self.copy_file(name, str(target / name))


setup(cmdclass={"build_py": BuildWithShippedPolicy})
