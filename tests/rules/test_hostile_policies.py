"""The hostile-policy gallery: files built to exhaust the loader are refused at once, with a located message.

Each case was a traceback (RecursionError, int() past 4,300 digits, a ruleset compiled for 18 s, or
/dev/zero read until MemoryError) before the bounds of rules/yaml_source.py and rules/loader.py.
Over HTTP the same texts are 422 invalid-policy, never 500.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app import create_app
from lifecycle.reloader import PolicyRegistry
from rules.compiler import MAX_RULES_PER_RULESET
from rules.errors import PolicyError
from rules.loader import load_policy_file, load_policy_text
from rules.yaml_source import MAX_DEPTH, MAX_LIST_ITEMS, MAX_NUMBER_DIGITS, MAX_POLICY_BYTES

REPO = Path(__file__).resolve().parents[2]
SHIPPED = (REPO / "policies.yaml").read_text(encoding="utf-8")
FRONTLINE = "limits: {frontline: 200.00,"
FRONTLINE_LINE = 1 + SHIPPED[: SHIPPED.index(FRONTLINE)].count("\n")


def _rules(count: int) -> str:
    rule = "  - {{id: G{n}, description: d, basis: b, when: {{channel: phone}}, then: {{min_level: supervisor}}}}\n"
    return "".join(rule.format(n=n) for n in range(count))


def _with_routing(extra: str) -> str:
    """The shipped policy with ``extra`` rules first in its routing section."""
    return SHIPPED.replace("\nrouting:\n", "\nrouting:\n" + extra, 1)


HOSTILE = {
    "flow nesting 10,000 deep": ("policy: " + "[" * 10_000 + "]" * 10_000 + "\n", "policy_limit", 1),
    "mapping nesting 10,000 deep": ("policy: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n", "policy_limit", 1),
    "exponent 1e400000000": (
        SHIPPED.replace(FRONTLINE, "limits: {frontline: 1e400000000,"),
        "policy_limit",
        FRONTLINE_LINE,
    ),
    "exponent with padded zeros": (
        SHIPPED.replace(FRONTLINE, "limits: {frontline: 1e" + "0" * 50 + "400,"),
        "policy_limit",
        FRONTLINE_LINE,
    ),
    "100,000-digit integer": (
        SHIPPED.replace(FRONTLINE, "limits: {frontline: " + "9" * 100_000 + ","),
        "policy_limit",
        FRONTLINE_LINE,
    ),
    "10,000 routing rules": (_with_routing(_rules(10_000)), "engine_limit", None),
    "a list of 100,000 items": ("policy: [" + "1, " * 100_000 + "1]\n", "policy_limit", 1),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_policy_is_refused_with_a_located_message(name):
    text, code, line = HOSTILE[name]
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text, "hostile.yaml")
    issue = caught.value.issues[0]
    assert issue.code == code, caught.value
    assert issue.file == "hostile.yaml"
    if line is not None:
        assert issue.line == line, issue


def test_the_bounds_are_named_in_the_message():
    messages = {name: str(_refusal(text)) for name, (text, _, _) in HOSTILE.items()}
    assert f"deeper than {MAX_DEPTH} levels" in messages["flow nesting 10,000 deep"]
    assert f"at most {MAX_NUMBER_DIGITS} digits" in messages["100,000-digit integer"]
    assert f"at most {MAX_LIST_ITEMS} items" in messages["a list of 100,000 items"]
    rules = messages["10,000 routing rules"]
    assert f"more than {MAX_RULES_PER_RULESET} routing rules" in rules


def test_the_rule_past_the_limit_is_located():
    text = _with_routing(_rules(10_000))
    issue = _refusal(text).issues[0]
    expected = 1 + text[: text.index(f"id: G{MAX_RULES_PER_RULESET},")].count("\n")
    assert (issue.path, issue.line) == ("routing", expected)


def test_nesting_and_numbers_within_the_bounds_still_load():
    text = SHIPPED.replace(FRONTLINE, "limits: {frontline: 2_00.00,")
    policy = load_policy_text(text)
    assert str(policy.authority["refund"].limits["frontline"]) == "200.00"


def _refusal(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text, "hostile.yaml")
    return caught.value


def test_a_file_past_the_size_limit_is_refused(tmp_path):
    sparse = tmp_path / "huge.yaml"
    with sparse.open("wb") as file:
        file.truncate(MAX_POLICY_BYTES + 10)
    with pytest.raises(PolicyError, match=f"larger than {MAX_POLICY_BYTES} bytes"):
        load_policy_file(sparse)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_an_endless_device_is_refused_as_not_a_regular_file(device):
    with pytest.raises(PolicyError, match="a character device, not a regular file"):
        load_policy_file(device)
    # The command line too, in a process of its own (bounded: an endless read would time out here).
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "check", "--lang", "en", device],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert f"{device}:1:1: <document>: the file is a character device, not a regular file" in (
        done.stdout + done.stderr
    )


def _fifo(tmp_path: Path) -> Path:
    fifo = tmp_path / "policies.yaml"
    os.mkfifo(fifo)
    return fifo


def _finishes(work, seconds: float = 20.0) -> None:
    """Run ``work`` in a thread: it must return (or raise) within ``seconds``, where opening a FIFO would wait."""
    done = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(seconds), "blocked on the FIFO"
    if failure:
        raise failure[0]


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = _fifo(tmp_path)
    with pytest.raises(PolicyError, match="a FIFO \\(named pipe\\), not a regular file"):
        _finishes(lambda: load_policy_file(fifo))
    with pytest.raises(PolicyError, match="a directory, not a regular file"):
        _finishes(lambda: load_policy_file(tmp_path))
    for command in (["check", str(fifo)], ["fmt", "--check", str(fifo)], ["test", str(fifo)]):
        done = subprocess.run(
            [sys.executable, "-m", "cli.main", *command, "--lang", "en"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert "a FIFO (named pipe), not a regular file" in done.stderr, (command, done.stderr)
        assert "Traceback" not in done.stderr


def test_a_first_start_on_a_fifo_is_refused_not_hung(tmp_path):
    fifo = _fifo(tmp_path)
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}",
        "COMPLAINTS_POLICY": str(fifo),
        "COMPLAINTS_AUTH": "off",
    }
    with pytest.raises(Exception, match="not a regular file"):
        _finishes(lambda: create_app({**settings, "COMPLAINTS_ENV": "development"}))


def test_the_reload_thread_does_not_hang_on_a_fifo(tmp_path):
    policy = tmp_path / "policies.yaml"
    policy.write_text((REPO / "policies.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    registry = PolicyRegistry(str(policy), None, poll_seconds=0)
    version = registry.current().versions[0].policy.version
    policy.unlink()
    os.mkfifo(policy)
    _finishes(lambda: registry.refresh(force=True))  # what SIGHUP asks of the reload thread
    assert registry.current().versions[0].policy.version == version  # the good policy stays in force
    assert "not a regular file" in (registry.status.last_error or "")


def test_an_endless_tests_file_is_refused(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "test", "policies.yaml", "--tests", "/dev/zero"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "the tests file is a character device, not a regular file" in done.stdout + done.stderr


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_policy_published_over_http_is_a_422(name, tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", "COMPLAINTS_AUTH": "off"})
    client = app.test_client()
    answer = client.post("/v1/policies", json={"text": HOSTILE[name][0], "tests": "tests: []\n", "reason": "hostile"})
    assert answer.status_code == 422, answer.get_data(as_text=True)[:300]
    assert answer.get_json()["code"] == "invalid-policy"
    assert answer.get_json()["errors"][0]["code"] == HOSTILE[name][1]
