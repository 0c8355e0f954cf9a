"""Progress of long commands: a bar with rate and ETA on a terminal, plain lines otherwise; stderr only.

The commands run as real processes, with standard error on a pipe or on a pseudo-terminal, and their
standard output (the data) is compared byte for byte between the two.
"""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from cli.progress import Progress
from engine.compiled import decider_for_file
from lifecycle.decision_service import DecisionService
from store import DecisionStore
from tests.helpers.audit_samples import POLICY, fill

COMPLAINTS = str(Path(sys.executable).parent / "complaints")


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_say_done_total_rate_and_time_left():
    out, clock = io.StringIO(), _Clock()
    with Progress("replay", 10, stream=out, terminal=False, every_items=4, every_seconds=3600, clock=clock) as bar:
        for _ in range(10):
            clock.now += 0.5
            bar.advance()
    lines = out.getvalue().splitlines()
    assert lines == [
        "replay: 4/10 decisions (40%), 2/s, 0:00:02 elapsed, about 0:00:03 left",
        "replay: 8/10 decisions (80%), 2/s, 0:00:04 elapsed, about 0:00:01 left",
        "replay: 10/10 decisions (100%), 2/s, 0:00:05 elapsed, done",
    ]


def test_plain_lines_come_by_time_too_and_without_a_known_total():
    out, clock = io.StringIO(), _Clock()
    with Progress("verify", None, stream=out, terminal=False, every_seconds=5, clock=clock) as bar:
        for _ in range(12):
            clock.now += 1
            bar.advance()
    assert out.getvalue().splitlines() == [
        "verify: 5 decisions, 1/s, 0:00:05 elapsed",
        "verify: 10 decisions, 1/s, 0:00:10 elapsed",
        "verify: 12 decisions, 1/s, 0:00:12 elapsed, done",
    ]


@pytest.fixture
def store_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    store = DecisionStore(url)
    store.init_schema()
    fill(DecisionService(decider_for_file(POLICY), store), 12, reevaluate_every=0)
    store.dispose()
    return url


def _run(args: list[str], *, tty: bool) -> tuple[int, bytes, str]:
    """The command with stdout on a pipe and stderr on a pipe or a pseudo-terminal: (exit, stdout, stderr)."""
    env = {**os.environ, "COLUMNS": "160", "TERM": "xterm"}
    if not tty:
        done = subprocess.run([COMPLAINTS, *args], capture_output=True, env=env, timeout=120)
        return done.returncode, done.stdout, done.stderr.decode()
    master, slave = pty.openpty()
    process = subprocess.Popen([COMPLAINTS, *args], stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    stderr = b""
    stdout = b""
    assert process.stdout is not None
    while True:
        ready, _, _ = select.select([master, process.stdout], [], [], 60)
        if not ready:
            break
        if master in ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed
                chunk = b""
            stderr += chunk
        if process.stdout in ready:
            data = process.stdout.read1(65536)  # type: ignore[attr-defined]
            stdout += data
            if not data and process.poll() is not None:
                break
    stdout += process.stdout.read()
    process.wait(timeout=60)
    os.close(master)
    return process.returncode, stdout, stderr.decode(errors="replace")


@pytest.mark.parametrize(
    "command",
    [
        ["replay", "--since", "2000-01-01", "--progress-every", "5"],
        ["export", "--since", "2000-01-01", "--format", "jsonl"],
        ["store", "verify"],
    ],
    ids=["replay", "export", "verify"],
)
def test_a_terminal_gets_a_bar_a_log_gets_lines_and_the_data_is_the_same(command, store_url):
    args = [*command, "--database-url", store_url]
    plain_code, plain_out, plain_err = _run(args, tty=False)
    bar_code, bar_out, bar_err = _run(args, tty=True)
    assert plain_code == bar_code == 0, (plain_err, bar_err)
    label = command[0] if command[0] != "store" else "verify"
    # Not a terminal: plain lines, no escape codes.
    assert f"{label}: 12/12 decisions (100%)" in plain_err and "done" in plain_err
    assert "\x1b[" not in plain_err and "━" not in plain_err
    # A terminal: the bar, with count, rate and ETA.
    assert "━" in bar_err and "12/12" in bar_err and "decisions/s" in bar_err and "ETA" in bar_err
    # The data on stdout is untouched by either (exports differ only in their signing time).
    if command[0] == "export":
        plain_rows, bar_rows = (out.decode().splitlines()[:-1] for out in (plain_out, bar_out))
        assert plain_rows == bar_rows and len(plain_rows) == 12
        assert json.loads(plain_out.decode().splitlines()[-1])["type"] == "closing"
    elif command[0] == "replay":
        assert plain_out == bar_out and len(plain_out.splitlines()) == 12
        assert all(json.loads(line)["result"] == "identical" for line in plain_out.splitlines())
    else:
        assert plain_out == bar_out and b"intact" in plain_out


def test_replay_lines_every_n_decisions(store_url):
    code, _, err = _run(
        ["replay", "--since", "2000-01-01", "--progress-every", "5", "--database-url", store_url], tty=False
    )
    assert code == 0
    lines = [line for line in err.splitlines() if line.startswith("replay: ")]
    assert [line.split(" decisions")[0] for line in lines] == ["replay: 5/12", "replay: 10/12", "replay: 12/12"]
    assert "5 identical" in lines[0] and lines[-1].endswith("12 identical")
