"""Which engine builds: a DOCKER_HOST that is set is the choice, answering or not
(never silently replaced by the private engine or the default socket); with none
configured, auto takes an engine that answers, else the host; --quill-backend
docker with no engine is the bench's problem. Probes only: no engine is needed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_quill.engine import backends
from pytest_quill.engine.backends import docker as docker_backend
from pytest_quill.engine.backends.docker import DOCKERD_SCRIPT
from pytest_quill.errors import BenchError

DEAD = "tcp://127.0.0.1:9"


@pytest.fixture
def no_engine_anywhere(monkeypatch, tmp_path):
    """No DOCKER_HOST, and the private and default sockets do not exist."""
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(docker_backend, "PRIVATE_URL", f"unix://{tmp_path}/private.sock")
    monkeypatch.setattr(docker_backend, "DEFAULT_URL", f"unix://{tmp_path}/default.sock")


def test_docker_host_alone_is_looked_at_when_it_is_set(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", DEAD)
    assert docker_backend.engine_urls() == [DEAD]
    monkeypatch.setenv("DOCKER_HOST", "")
    assert docker_backend.engine_urls() == [docker_backend.PRIVATE_URL, docker_backend.DEFAULT_URL]


@pytest.mark.parametrize("name", ["auto", "docker"])
def test_a_dead_docker_host_is_a_bench_error_naming_it(monkeypatch, name):
    monkeypatch.setenv("DOCKER_HOST", DEAD)
    with pytest.raises(BenchError) as caught:
        backends.resolve(name)
    line = caught.value.one_line()
    assert line.startswith(f"--quill-backend {name}: DOCKER_HOST={DEAD} does not answer (")
    assert "unset DOCKER_HOST" in line and "\n" not in line


def test_a_dead_docker_host_on_a_missing_socket(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/gone.sock")
    with pytest.raises(
        BenchError,
        match=rf"DOCKER_HOST=unix://{tmp_path}/gone.sock does not "
        r"answer \(no such socket\)",
    ):
        backends.resolve("auto")


def test_auto_builds_on_the_host_when_no_engine_is_configured_or_answers(no_engine_anywhere):
    assert backends.resolve("auto") == "host"


def test_host_never_asks_for_an_engine(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", DEAD)
    assert backends.resolve("host") == "host"


def test_docker_without_an_engine_is_a_bench_error_saying_where_it_looked(no_engine_anywhere, tmp_path):
    with pytest.raises(BenchError) as caught:
        backends.resolve("docker")
    assert caught.value.one_line() == (
        f"--quill-backend docker: no Docker engine answers: unix://{tmp_path}/private.sock: no "
        f"such socket; unix://{tmp_path}/default.sock: no such socket (start one with "
        f"sh {DOCKERD_SCRIPT}, or use --quill-backend host)"
    )


def test_ensure_engine_does_not_start_another_engine_for_a_dead_docker_host(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", DEAD)

    def refuse(*args, **kwargs):
        raise AssertionError(f"started something: {args}")

    monkeypatch.setattr(docker_backend.subprocess, "run", refuse)
    with pytest.raises(BenchError, match=rf"^DOCKER_HOST={DEAD} does not answer"):
        docker_backend.ensure_engine()


def test_the_docker_client_names_a_dead_docker_host(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", DEAD)
    backend = docker_backend.DockerBackend(tmp_path)
    with pytest.raises(
        BenchError,
        match=rf"^Docker backend: no engine answers: DOCKER_HOST="
        rf"{DEAD} does not answer",
    ):
        _ = backend.client


def test_dockerd_script_refuses_a_dead_docker_host_and_starts_nothing():
    pidfile = Path("/run/pytest-quill/docker.pid")
    before = pidfile.read_text() if pidfile.exists() else None
    done = subprocess.run(
        ["sh", str(DOCKERD_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "DOCKER_HOST": DEAD},
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"dockerd.sh: DOCKER_HOST={DEAD} does not answer; start that engine, or unset "
        "DOCKER_HOST to use the private engine (unix:///run/pytest-quill/docker.sock) or the "
        "default socket"
    ]
    assert (pidfile.read_text() if pidfile.exists() else None) == before


def test_in_a_run_a_dead_docker_host_fails_the_artifacts_naming_it(pytester, monkeypatch):
    from tests.support.synthetic_runs import make_project, record

    make_project(pytester, monkeypatch)
    monkeypatch.setenv("DOCKER_HOST", DEAD)
    result = pytester.runpytest_subprocess(
        "--quill-backend", "auto", "--quill-cache", str(pytester.path / "cache"), "-p", "no:cacheprovider"
    )
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    errors = {a["name"]: a["error"] for a in record(pytester)["artifacts"]}
    assert f"--quill-backend auto: DOCKER_HOST={DEAD} does not answer (" in errors["kernel"]
