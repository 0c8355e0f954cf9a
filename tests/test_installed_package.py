"""The package as an operator gets it: the wheel built from this checkout, installed into a fresh virtualenv
in a temporary folder (dependencies from the package index, through pip's cache), used from folders that
are not the checkout. Also the container recipe: its entry command runs from the installed package, and
the compose file holds what the manual's "Scaling out" (docs/operations.md) says.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import requests
import yaml

from tests.helpers.server_process import free_port

REPO = Path(__file__).resolve().parents[1]
RELEASE_1_1_0 = REPO / "tests" / "fixtures" / "release_1_1_0"
_NOT_SOURCES = ("*.egg-info", ".*", "__pycache__", "build", "var", "*.db", "*.db-*", "bench", "tests", "site", "dist")


def _run(venv: Path, *args: str, cwd: Path, env: dict | None = None, check: bool = True, timeout: float = 120):
    done = subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]],
        cwd=cwd,
        env={**_clean_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check:
        assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def _clean_env() -> dict[str, str]:
    """Nothing of the checkout or of this test run leaks in: no PYTHONPATH, no settings."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COMPLAINTS_", "PYTHON", "VIRTUAL_ENV", "PROMETHEUS_", "GUNICORN_"))
        and k not in ("DATABASE_URL", "WEB_CONCURRENCY")
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(the fresh virtualenv, the wheel): built from a copy of the checkout, installed with its dependencies."""
    root = tmp_path_factory.mktemp("installed")
    source = root / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*_NOT_SOURCES))
    dist = root / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "--wheel-dir", str(dist), str(source)],
        capture_output=True,
        text=True,
        timeout=600,  # the build environment gets the dependencies and MkDocs: the manual is built into the wheel
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (root / "build.log").write_text(built.stdout + built.stderr)
    (wheel,) = dist.glob("complaint_decisions-*.whl")
    venv = root / "venv"
    subprocess.run([sys._base_executable, "-m", "venv", str(venv)], check=True, timeout=120)  # type: ignore[attr-defined]
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return venv, wheel


def test_the_wheel_ships_the_default_policy_its_tests_the_server_configuration_and_the_migrations(installed):
    _, wheel = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("policies.yaml", "policies.tests.yaml"):
        # Byte for byte what `make test` checks at the top of the repository: no second copy to drift.
        assert zipfile.ZipFile(wheel).read(f"rules/shipped/{name}") == (REPO / name).read_bytes()
    assert {"api/gunicorn_conf.py", "store/migrations/env.py", "store/migrations/script.py.mako"} <= names
    assert any(n.startswith("store/migrations/versions/0001_") for n in names)
    assert not any(n.startswith(("tests/", "bench/", "devtools/")) for n in names)
    # The example complaint `complaints init` writes, and the manual built at package-build time.
    assert (
        zipfile.ZipFile(wheel).read("rules/shipped/complaint.json")
        == (REPO / "examples" / "complaint.json").read_bytes()
    )
    assert {
        "api/manual/index.html",
        "api/manual/reference/cli/index.html",
        "api/manual/reference/http-api/index.html",
    } <= names
    assert {"api/static/swagger-ui/swagger-ui-bundle.js", "api/static/swagger-ui/swagger-ui.css"} <= names


def test_the_wheel_builds_without_setuptools_warnings(installed):
    """Package data declared properly: no "absent from the packages configuration" (or any other) warning."""
    _, wheel = installed
    log = (wheel.parent.parent / "build.log").read_text()
    assert "Successfully built complaint-decisions" in log
    warnings = [
        line
        for line in log.splitlines()
        if re.search(r"warn", line, flags=re.I)
        and "byte-compiling is disabled" not in line
        and "is ignored" not in line
    ]
    assert warnings == []


def test_version_init_check_decide_and_store_upgrade_from_outside_the_checkout(installed, tmp_path):
    venv, _ = installed
    version = _run(venv, "complaints", "--version", cwd=tmp_path).stdout.splitlines()
    assert version[:3] == [
        f"complaints {_project_version()}",
        f"package complaint-decisions {_project_version()}",
        f"engine {_project_version()}",
    ]
    assert version[3].startswith("store schema revision ")

    # No policy anywhere near: the shipped default, and the command says so.
    empty = tmp_path / "empty"
    empty.mkdir()
    shipped = _run(venv, "complaints", "check", cwd=empty)
    assert "(the default shipped with the package)" in shipped.stderr
    assert "site-packages/rules/shipped/policies.yaml: OK" in shipped.stdout
    assert _digest(shipped.stdout) == _digest(
        _run(venv, "complaints", "check", str(REPO / "policies.yaml"), cwd=empty).stdout
    )

    made = _run(venv, "complaints", "init", "site", cwd=tmp_path)
    site = tmp_path / "site"
    assert sorted(p.name for p in site.iterdir()) == [".env", "complaint.json", "policies.tests.yaml", "policies.yaml"]
    assert "wrote" in made.stdout and "--data @complaint.json" in made.stderr
    local = _run(venv, "complaints", "check", cwd=site)
    assert "policy: policies.yaml (policies.yaml in the current folder)" in local.stderr
    assert "policies.yaml: OK" in local.stdout
    assert "passed, 0 failed" in _run(venv, "complaints", "test", "--lang", "en", cwd=site).stdout
    by_env = _run(venv, "complaints", "check", cwd=empty, env={"COMPLAINTS_POLICY": str(site / "policies.yaml")})
    assert "(from COMPLAINTS_POLICY)" in by_env.stderr
    again = _run(venv, "complaints", "init", "site", cwd=tmp_path, check=False)
    assert again.returncode == 1 and "already has" in again.stderr

    decision = json.loads(_run(venv, "complaints", "decide", "complaint.json", cwd=site).stdout)
    assert decision["route"]["level"] == "manager" and decision["remedy"]["components"][0]["amount"] == "2599.00"

    old = tmp_path / "old.sqlite"
    shutil.copy(RELEASE_1_1_0 / "store.sqlite", old)
    url = f"sqlite:///{old}"
    refused = _run(venv, "complaints", "store", "verify", "--database-url", url, cwd=site, check=False)
    assert refused.returncode == 2 and "complaints store upgrade" in refused.stderr
    upgraded = _run(venv, "complaints", "store", "upgrade", "--database-url", url, cwd=site)
    assert "upgraded from no schema revision" in upgraded.stdout
    verified = _run(venv, "complaints", "store", "verify", "--database-url", url, cwd=site)
    assert "10 decisions and 1 policy text from genesis, chain head 10: intact" in verified.stdout


def _serve(venv: Path, cwd: Path, command: list[str], env: dict) -> tuple[subprocess.Popen, Path]:
    log = cwd / "serve.log"
    process = subprocess.Popen(
        [str(venv / "bin" / command[0]), *command[1:]],
        cwd=cwd,
        env={**_clean_env(), **env},
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, log


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _wait_ready(process: subprocess.Popen, base: str, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if requests.get(base + "/readyz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"not ready after {timeout}s:\n{log.read_text()}")


def test_the_images_entry_command_serves_from_the_installed_package(installed, tmp_path):
    """`complaints serve` (the Dockerfile's CMD), in the folder `init` made, with its .env: a real request is
    answered, logged once, and the image's health check passes against it."""
    venv, _ = installed
    _run(venv, "complaints", "init", "site", cwd=tmp_path)
    site = tmp_path / "site"
    port = free_port()
    command = _dockerfile_instruction("CMD")
    assert command == ["complaints", "serve"]
    process, log = _serve(venv, site, command, {"COMPLAINTS_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, base, log)
        assert requests.get(base + "/healthz", timeout=5).json()["version"] == _project_version()
        body = (REPO / "examples" / "complaint.json").read_bytes()
        answer = requests.post(
            base + "/v1/decisions", data=body, headers={"Content-Type": "application/json"}, timeout=30
        )
        assert answer.status_code == 201, answer.text
        decision_id = answer.json()["decision_id"]
        assert answer.json()["engine_version"] == _project_version()
        manual = requests.get(base + "/docs/", timeout=10)  # the manual, from the wheel, no network
        assert manual.status_code == 200 and "投诉处理决策服务手册" in manual.text
        assert requests.get(base + "/docs/reference/codes/", timeout=10).status_code == 200
        assert requests.get(base + "/docs/api/swagger-ui-bundle.js", timeout=10).status_code == 200
        again = requests.get(f"{base}/v1/decisions/{decision_id[:8]}", timeout=10)  # a unique prefix
        assert again.status_code == 200 and again.json()["decision_id"] == decision_id
        health = _dockerfile_instruction("HEALTHCHECK")
        assert health[0] == "python"
        checked = _run(venv, *health, cwd=site, env={"COMPLAINTS_BIND": f"0.0.0.0:{port}"}, check=False)
        assert checked.returncode == 0, checked.stderr
    finally:
        _stop(process)
    text = log.read_text()
    assert "settings: .env" in text and "policy: policies.yaml (from COMPLAINTS_POLICY)" in text
    posted = [
        line for line in text.splitlines() if '"complaints.access"' in line and '"route": "/v1/decisions"' in line
    ]
    assert len(posted) == 1, text  # one log line per request
    assert (site / "var" / "complaints.db").is_file()  # DATABASE_URL of the .env, relative to the folder


def test_a_server_that_cannot_start_says_why_in_one_line(installed, tmp_path):
    venv, _ = installed
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    taken = f"127.0.0.1:{listener.getsockname()[1]}"
    cases = {
        "port": ({"COMPLAINTS_BIND": taken}, f"{taken} already in use"),
        "policy": ({"COMPLAINTS_POLICY": "missing.yaml"}, "missing.yaml does not load"),
        "store": ({"DATABASE_URL": f"sqlite:///{_old_store(tmp_path)}"}, "needs an upgrade"),
        "bind": ({"COMPLAINTS_BIND": "0.0.0.0:1"}, "API keys are off, so bind only to 127.0.0.1"),
    }
    for name, (env, reason) in cases.items():
        folder = tmp_path / name
        folder.mkdir()
        done = _run(
            venv,
            "complaints",
            "serve",
            cwd=folder,
            env={"COMPLAINTS_BIND": f"127.0.0.1:{free_port()}", **env},
            check=False,
            timeout=60,
        )
        output = done.stdout + done.stderr
        refusals = [line for line in output.splitlines() if line.startswith("refusing to start: ")]
        assert done.returncode != 0, (name, output)
        assert len(refusals) == 1 and reason in refusals[0], (name, output)
        assert "Traceback" not in output, (name, output)
    listener.close()


def _old_store(tmp_path: Path) -> Path:
    path = tmp_path / "release-1.1.0.sqlite"
    shutil.copy(RELEASE_1_1_0 / "store.sqlite", path)
    return path


def _digest(check_output: str) -> str:
    return check_output.rsplit("digest ", 1)[1].split()[0]


def _project_version() -> str:
    import tomllib

    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def _dockerfile_instruction(name: str) -> list[str]:
    """The exec-form (JSON) arguments of the Dockerfile's last ``name`` instruction (HEALTHCHECK: its CMD)."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith(name + " ")]
    assert lines, f"the Dockerfile has no {name}"
    value = lines[-1][len(name) :].strip()
    if name == "HEALTHCHECK":
        value = value.split(" CMD ", 1)[1].strip()
    return json.loads(value)


# -- the compose file (no Docker engine here: checked as data) ---------------------------------------------


def _compose() -> dict:
    return yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())


def test_the_compose_file_runs_two_instances_on_one_postgresql_behind_a_proxy():
    compose = _compose()
    services = compose["services"]
    instances = [name for name, spec in services.items() if spec.get("command") == ["complaints", "serve"]]
    assert len(instances) >= 2
    for name in instances:
        spec = services[name]
        assert (
            spec["build"]["dockerfile"] == "Dockerfile"
            and (REPO / "deploy" / spec["build"]["context"] / "Dockerfile").is_file()
        )
        env = spec["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://") and "@db:5432/" in env["DATABASE_URL"]
        assert env["COMPLAINTS_ENV"] == "production"  # API keys: the instances bind beyond loopback
        assert spec["depends_on"]["db"]["condition"] == "service_healthy"
        # The signing key: made inside a container into the `keys` volume, which the image owns (uid 10001).
        assert "keys:/srv/complaints/keys" in spec["volumes"]
        assert env["COMPLAINTS_SIGNING_KEY_FILE"] == "/srv/complaints/keys/signing.pem"
        # The database password: a secret file, never in the URL or the environment.
        assert ":" not in env["DATABASE_URL"].split("://", 1)[1].split("@", 1)[0]
        assert "db_password" in spec["secrets"] and env["PGPASSWORD_FILE"] == "/run/secrets/db_password"
    assert services["db"]["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/db_password"
    assert "POSTGRES_PASSWORD" not in services["db"]["environment"]
    assert compose["secrets"]["db_password"]["file"] == "./secrets/db_password"
    assert (
        len({json.dumps(services[n]["environment"], sort_keys=True) for n in instances}) == 1
    )  # one chain, one config
    assert services["db"]["image"].startswith("postgres:") and "healthcheck" in services["db"]
    assert services["setup"]["command"] == ["complaints", "store", "init"]
    # The proxy spreads requests over exactly those instances.
    proxy = services["proxy"]
    mounted = {volume.split(":")[0] for volume in proxy["volumes"]}
    assert mounted == {"./nginx.conf"}
    upstream = (REPO / "deploy" / "nginx.conf").read_text()
    servers = set(re.findall(r"^\s*server\s+([\w.-]+:\d+)", upstream, flags=re.M))
    assert servers == {f"{name}:8080" for name in instances}
    assert "proxy_request_buffering on;" in upstream  # README: a buffering proxy in front


def test_the_image_runs_as_a_fixed_uid_that_owns_the_keys_folder():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "--uid 10001 --gid 10001" in dockerfile and "USER 10001:10001" in dockerfile
    assert "install -d -o 10001 -g 10001 -m 0700 /srv/complaints/keys" in dockerfile
    assert _dockerfile_instruction("ENTRYPOINT") == ["/usr/local/bin/complaints-entrypoint"]
    assert "COPY deploy/entrypoint.sh /usr/local/bin/complaints-entrypoint" in dockerfile


def test_the_entrypoint_reads_the_database_password_from_its_secret_file(tmp_path):
    entrypoint = REPO / "deploy" / "entrypoint.sh"
    secret = tmp_path / "db_password"
    secret.write_text("s3cret-from-a-file")  # as `head -c 24 /dev/urandom | base64` writes it, no newline kept
    shown = subprocess.run(
        ["sh", str(entrypoint), "sh", "-c", 'printf %s "$PGPASSWORD"'],
        env={"PATH": os.environ["PATH"], "PGPASSWORD_FILE": str(secret)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert shown.returncode == 0 and shown.stdout == "s3cret-from-a-file"
    missing = subprocess.run(
        ["sh", str(entrypoint), "true"],
        env={"PATH": os.environ["PATH"], "PGPASSWORD_FILE": str(tmp_path / "absent")},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert missing.returncode == 1 and "refusing to start: PGPASSWORD_FILE=" in missing.stderr
    assert "readable by uid 10001" in missing.stderr


def test_every_command_and_setting_of_the_container_recipe_exists():
    """The commands the compose file and its instructions run are commands of the CLI, and every setting it
    gives is one the manual's configuration page documents."""
    from click.testing import CliRunner

    from cli.main import cli

    compose_text = (REPO / "deploy" / "compose.yaml").read_text()
    commands = [spec["command"] for spec in _compose()["services"].values() if "command" in spec]
    commands += [
        shlex.split(line.split("run --rm setup", 1)[1])
        for line in compose_text.splitlines()
        if "run --rm setup complaints" in line
    ]
    assert len(commands) >= 5
    for command in commands:
        assert command[0] == "complaints"
        helped = CliRunner().invoke(cli, [*command[1:], "--help"])
        assert helped.exit_code == 0, (command, helped.output)
    configuration = (REPO / "docs" / "configuration.md").read_text()
    for name in _compose()["x-service"]["environment"]:
        assert f"`{name}`" in configuration, name
