"""`complaints fmt`: the canonical layout, comments kept, meaning never changed; the shipped policy is clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from rules.errors import PolicyError
from rules.formatting import canonical_text
from rules.loader import load_policy_text

TESTS = Path(__file__).resolve().parents[1]
DEFAULT = TESTS.parent / "policies.yaml"
MINIMAL = TESTS / "policies" / "minimal.yaml"


def messy(text: str) -> str:
    """The minimal policy as a hurried author might leave it: odd indentation, extra spaces, trailing blanks."""
    text = text.replace("  name: minimal test policy\n", "  name:    minimal test policy   \n")
    text = text.replace("routing:\n  - id: R01_regulator\n", "routing:\n- id: R01_regulator   # who handles 12315\n")
    text = text.replace(
        "    description: Regulator complaints go to legal.\n", "  description: Regulator complaints go to legal.\n"
    )
    text = text.replace("    basis: CPL Art. 46\n", "  basis: CPL Art. 46\n")
    text = text.replace("    when: {channel: regulator}\n", "  when: {channel: regulator}\n")
    text = text.replace(
        "    then: {team: legal_compliance, min_level: manager}\n",
        "  then:   {team: legal_compliance, min_level: manager}\n",
    )
    return text + "\n\n"


def test_the_shipped_policy_is_in_the_canonical_layout():
    text = DEFAULT.read_text(encoding="utf-8")
    assert canonical_text(text, str(DEFAULT)) == text


def test_a_messy_policy_is_laid_out_canonically_with_comments_and_meaning_kept():
    original = MINIMAL.read_text(encoding="utf-8")
    untidy = messy(original)
    assert untidy != original
    formatted = canonical_text(untidy, "m.yaml")
    assert formatted != untidy
    assert "  name: minimal test policy\n" in formatted
    assert (
        "  - id: R01_regulator # who handles 12315\n    description: Regulator complaints go to legal.\n" in formatted
    )
    assert "    then: {team: legal_compliance, min_level: manager}\n" in formatted
    assert formatted.startswith("# The smallest sound policy")  # comments stay
    assert formatted.endswith("change_notice_basis: ECL Art. 34\n")  # one newline at the end
    assert not any(line != line.rstrip() for line in formatted.splitlines())
    assert load_policy_text(formatted, "m.yaml").digest == load_policy_text(original, "m.yaml").digest
    assert canonical_text(formatted, "m.yaml") == formatted  # idempotent


def test_text_that_is_not_safe_yaml_is_refused_in_plain_words():
    with pytest.raises(PolicyError) as caught:
        canonical_text("policy:\n\tname: x\n", "t.yaml")
    (issue,) = caught.value.issues
    assert issue.code == "yaml_syntax" and issue.text("zh").startswith("这里有一个制表符")
    with pytest.raises(PolicyError):
        canonical_text("policy: !!python/object/apply:os.system [echo]\n", "t.yaml")


def test_the_command_checks_and_rewrites(tmp_path):
    runner = CliRunner()
    path = tmp_path / "next.yaml"
    untidy = messy(MINIMAL.read_text(encoding="utf-8"))
    path.write_text(untidy, encoding="utf-8")
    checked = runner.invoke(cli, ["fmt", str(path), "--check"])
    assert checked.exit_code == 1
    assert "-  then:   {team: legal_compliance, min_level: manager}" in checked.stdout
    assert "not in the canonical layout" in checked.stderr
    assert path.read_text(encoding="utf-8") == untidy  # --check changes nothing
    written = runner.invoke(cli, ["fmt", str(path)])
    assert written.exit_code == 0 and written.stdout == f"{path}: formatted\n"
    assert path.read_text(encoding="utf-8") == canonical_text(untidy, str(path))
    again = runner.invoke(cli, ["fmt", str(path), "--check"])
    assert again.exit_code == 0 and "already in the canonical layout" in again.stdout
    broken = tmp_path / "tab.yaml"
    broken.write_text("policy:\n\tname: x\n", encoding="utf-8")
    refused = runner.invoke(cli, ["fmt", str(broken), "--lang", "en"])
    assert refused.exit_code == 1 and "replace the tab with spaces" in refused.stderr
    assert broken.read_text(encoding="utf-8") == "policy:\n\tname: x\n"
