"""Policy problems, each located at file:line:column and a dotted path."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class PolicyIssue:
    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path or '<document>'}: {self.message}"

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
        }


class PolicyError(Exception):
    """A policy that cannot be used; carries every issue found, not just the first."""

    def __init__(self, issues: list[PolicyIssue]):
        self.issues = sorted(set(issues))
        super().__init__("\n".join(str(issue) for issue in self.issues))


class EngineLimitError(PolicyError):
    """A policy that is valid but would exceed what durable_rules can hold."""
