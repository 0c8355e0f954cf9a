"""Policy problems: each located at file:line:column and a dotted path, with a stable ``code``.

The codes are listed in ``ISSUE_CODES`` with what to do about each; the README
lists them too (tests/test_docs.py keeps the two in step). Scripts and the
console match on the code, never on the wording, which may change.
"""

from __future__ import annotations

from dataclasses import dataclass

from rules.messages import hint_words, ui, words

# code -> what it means and what to do about it.
ISSUE_CODES: dict[str, str] = {
    "policy_unreadable": "The file cannot be read, is not UTF-8 text, or is larger than the limit. "
    "Check the path, save the file as UTF-8, and keep it under the size limit.",
    "yaml_syntax": "The text is not valid YAML. Look at the line and column shown: usually indentation "
    "(spaces only, no tabs), a missing colon, or an unclosed quote or bracket.",
    "yaml_structure": "Valid YAML that a policy may not use: an empty file, a key given twice, a tag such as "
    "`!!python/object`, a key that is not plain text, or aliases that expand too far. Remove or rename it.",
    "schema": "A section or key is unknown or missing, or a value has the wrong type or range. "
    "Compare the spelling and indentation with the shipped policies.yaml.",
    "condition": "A rule's `when` cannot be read: an unknown field, an operator the field does not take, "
    "or a value of the wrong kind. The message names the field and what it expects.",
    "unknown_name": "A team, level, rule, remedy type, event, deadline kind or date field named here is not "
    "defined in the policy. Define it, or use one of the names the message lists.",
    "duplicate": "A rule id or a list entry appears more than once. Rename or remove the repeat.",
    "missing": "Something the policy needs is not there: a limit for a level, an amount for a money remedy, "
    "an authority entry for a remedy type. Add it where the message points.",
    "inconsistent": "Settings contradict each other: limits that fall as levels rise, no approver above the "
    "last limit, a redirect combined with a team, not exactly one default team. Make them agree.",
    "calendar": "The holiday calendar is wrong: a day outside its year, a day both a holiday and a make-up "
    "working day, or a make-up day that is already a working day. Copy the State Council notice again.",
    "engine_limit": "The policy is valid but exceeds what the rules engine holds: too many tests in one rule, "
    "too many rules on one condition, too many fields. Split the rule or simplify its condition.",
    "policy_limit": "The text goes past a bound no policy needs: mappings and lists nested more than 32 "
    "levels, a list of more than 1,000 items, more than 50,000 values, or a number with more than 30 digits "
    "(or an exponent above 30). Look for a generated or damaged file.",
    "tests": "A policy test cannot run as written: an unknown key, a complaint the API would refuse, or an "
    "expectation naming something the policy does not have.",
}


Args = tuple[tuple[str, str], ...]  # hashable ``{name: text}`` for a catalog entry (rules/messages.py)


@dataclass(frozen=True, order=True)
class PolicyIssue:
    file: str
    line: int
    column: int
    path: str
    message: str  # in English
    code: str
    # Filled by rules/plain_words.py: the catalog entry and its parts, to word the issue in any
    # language, and the likely fixes. An issue without them reads as ``message`` in every language.
    key: str = ""
    args: Args = ()
    hints: tuple[tuple[str, Args], ...] = ()

    def __post_init__(self) -> None:
        if self.code not in ISSUE_CODES:
            raise ValueError(f"unknown policy issue code {self.code!r}; add it to rules.errors.ISSUE_CODES")

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path or '<document>'}: {self.message} [{self.code}]"

    def text(self, lang: str = "en") -> str:
        """The message in ``lang`` (zh or en)."""
        return words(self.key, dict(self.args), lang) if self.key else self.message

    def fixes(self, lang: str = "en") -> list[str]:
        """The likely fixes in ``lang``, most specific first."""
        return [hint_words(key, dict(args), lang) for key, args in self.hints]

    def lines(self, lang: str = "en") -> list[str]:
        """``file:line:column: path: message [code]``, then one ``fix:`` line if a fix is likely."""
        where = f"{self.file}:{self.line}:{self.column}"
        first = f"{where}: {self.path or ui('document', lang)}: {self.text(lang)} [{self.code}]"
        fixes = self.fixes(lang)
        return [first, f"    {ui('fix', lang)}{ui('fix_separator', lang).join(fixes)}"] if fixes else [first]

    def as_dict(self, lang: str = "en") -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.text(lang),
            "fixes": self.fixes(lang),
            "code": self.code,
        }


class PolicyError(Exception):
    """A policy that cannot be used; carries every issue found, not just the first."""

    def __init__(self, issues: list[PolicyIssue]):
        self.issues = sorted(set(issues))
        super().__init__("\n".join(str(issue) for issue in self.issues))


class EngineLimitError(PolicyError):
    """A policy that is valid but would exceed what durable_rules can hold."""
