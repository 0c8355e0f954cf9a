"""Every command finds the policy the same way: POLICY or --policy, then COMPLAINTS_POLICY, then ./policies.yaml,
then the default shipped with the package, and says on stderr which one it took; `complaints init` writes a
starter folder; the service takes the policy by the same order."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.settings import load_settings
from cli.init_cmd import ENV_TEMPLATE, apply_env_file, read_env_file
from cli.main import cli
from rules.default_policy import CURRENT_FOLDER, DEFAULT_POLICY, ENVIRONMENT, GIVEN, SHIPPED, choose_policy

REPO = Path(__file__).resolve().parents[2]
MINIMAL = REPO / "tests" / "policies" / "minimal.yaml"
COMPLAINT = REPO / "examples" / "complaint.json"


def test_the_lookup_order(tmp_path):
    assert choose_policy("given.yaml", {"COMPLAINTS_POLICY": "env.yaml"}, tmp_path).source == GIVEN
    assert choose_policy(None, {"COMPLAINTS_POLICY": "env.yaml"}, tmp_path).path == "env.yaml"
    assert choose_policy(None, {}, tmp_path).source == SHIPPED
    (tmp_path / "policies.yaml").write_text("x")
    here = choose_policy(None, {}, tmp_path)
    assert here.source == CURRENT_FOLDER and here.path == str(tmp_path / "policies.yaml")
    assert choose_policy(None, {"COMPLAINTS_POLICY": "env.yaml"}, tmp_path).source == ENVIRONMENT


# Each command that reads a policy, with what it needs besides.
POLICY_COMMANDS = {
    "check": ["check"],
    "lint": ["lint"],
    "test": ["test"],
    "decide": ["decide", str(COMPLAINT)],
    "explain": ["explain", str(COMPLAINT)],
    "calendar month": ["calendar", "month", "2026-10"],
    "calendar is-working-day": ["calendar", "is-working-day", "2026-10-08"],
}


@pytest.mark.parametrize("name", sorted(POLICY_COMMANDS))
def test_every_policy_command_says_which_policy_it_took(name, tmp_path, monkeypatch):
    monkeypatch.delenv("COMPLAINTS_POLICY", raising=False)
    monkeypatch.chdir(tmp_path)
    args = POLICY_COMMANDS[name]
    shipped = CliRunner().invoke(cli, args)
    assert f"policy: {DEFAULT_POLICY} (the default shipped with the package)" in shipped.stderr, shipped.output

    shutil.copy(REPO / "policies.yaml", tmp_path / "policies.yaml")
    shutil.copy(REPO / "policies.tests.yaml", tmp_path / "policies.tests.yaml")
    local = CliRunner().invoke(cli, args)
    assert "policy: policies.yaml (policies.yaml in the current folder)" in local.stderr, local.output

    monkeypatch.setenv("COMPLAINTS_POLICY", str(MINIMAL))
    by_env = CliRunner().invoke(cli, args)
    assert f"policy: {MINIMAL} (from COMPLAINTS_POLICY)" in by_env.stderr, by_env.output

    given = CliRunner().invoke(cli, [*args, "--policy", str(REPO / "policies.yaml")])
    assert "policy:" not in given.stderr  # named on the command line: nothing to say
    assert shipped.exit_code == local.exit_code == given.exit_code  # the same policy, the same answer


def test_check_takes_the_policy_as_an_argument_or_an_option_but_not_two(tmp_path):
    by_argument = CliRunner().invoke(cli, ["check", str(MINIMAL)])
    by_option = CliRunner().invoke(cli, ["check", "--policy", str(MINIMAL)])
    assert by_argument.exit_code == by_option.exit_code == 0
    assert by_argument.stdout == by_option.stdout and "version test.1" in by_option.stdout
    both = CliRunner().invoke(cli, ["check", str(MINIMAL), "--policy", str(REPO / "policies.yaml")])
    assert both.exit_code == 2 and "two policies given" in both.stderr


def test_the_service_takes_the_policy_by_the_same_order(tmp_path, monkeypatch):
    monkeypatch.delenv("COMPLAINTS_POLICY", raising=False)
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).policy == choose_policy(None, {}, tmp_path)
    assert load_settings(environ={}).policy_source == SHIPPED
    (tmp_path / "policies.yaml").write_text("x")
    assert load_settings(environ={}).policy_source == CURRENT_FOLDER
    assert (
        load_settings(environ={"COMPLAINTS_POLICY": "p.yaml"}).policy.describe()
        == "policy: p.yaml (from COMPLAINTS_POLICY)"
    )
    assert load_settings({"COMPLAINTS_POLICY": "q.yaml"}, environ={}).policy_source == GIVEN


def test_init_writes_a_starter_folder_that_the_commands_use(tmp_path, monkeypatch):
    monkeypatch.delenv("COMPLAINTS_POLICY", raising=False)
    made = CliRunner().invoke(cli, ["init", str(tmp_path / "site")])
    assert made.exit_code == 0, made.output
    site = tmp_path / "site"
    assert (site / "policies.yaml").read_bytes() == (REPO / "policies.yaml").read_bytes()
    assert (site / "policies.tests.yaml").read_bytes() == (REPO / "policies.tests.yaml").read_bytes()
    # An example complaint to try, and the one line that tries it against the address the .env sets.
    assert (site / "complaint.json").read_bytes() == (REPO / "examples" / "complaint.json").read_bytes()
    assert (
        "then try it: curl -s -X POST http://127.0.0.1:8080/v1/decisions -H 'Content-Type: application/json' "
        "--data @complaint.json" in made.stderr
    )
    decided = CliRunner().invoke(cli, ["decide", str(site / "complaint.json")])
    assert decided.exit_code == 0 and '"team": "quality_assurance"' in decided.stdout
    settings = read_env_file(site / ".env")
    assert settings == {
        "COMPLAINTS_ENV": "development",
        "DATABASE_URL": "sqlite:///var/complaints.db",
        "COMPLAINTS_POLICY": "policies.yaml",
        "COMPLAINTS_BIND": "127.0.0.1:8080",
    }
    configuration = (REPO / "docs" / "configuration.md").read_text()
    for line in ENV_TEMPLATE.splitlines():  # every setting it names, set or commented out, is documented
        name = line.lstrip("# ").split("=", 1)[0]
        if "=" in line and name.isupper():
            assert f"`{name}`" in configuration, name
    monkeypatch.chdir(site)
    tested = CliRunner().invoke(cli, ["test"])
    assert tested.exit_code == 0 and "policy: policies.yaml (policies.yaml in the current folder)" in tested.stderr

    (site / "policies.yaml").write_text("edited\n")
    refused = CliRunner().invoke(cli, ["init", str(site)])
    assert refused.exit_code == 1 and "already has" in refused.stderr
    assert (site / "policies.yaml").read_text() == "edited\n"  # nothing written
    forced = CliRunner().invoke(cli, ["init", str(site), "--force"])
    assert forced.exit_code == 0 and (site / "policies.yaml").read_bytes() == (REPO / "policies.yaml").read_bytes()


def test_an_env_file_never_overrides_the_environment(tmp_path):
    path = tmp_path / ".env"
    path.write_text("# comment\n\nexport A=1\nB='two words'\nC=\"3\"\n", encoding="utf-8")
    environ = {"A": "from the environment"}
    assert apply_env_file(path, environ) == ["B", "C"]
    assert environ == {"A": "from the environment", "B": "two words", "C": "3"}
    path.write_text("A=1\nthis is not a setting\n", encoding="utf-8")
    with pytest.raises(SystemExit) as caught:
        read_env_file(path)
    assert caught.value.code == 2
