"""The Docker backend on an engine that cannot see this machine's files: a
second dockerd on a loopback port, reached over tcp:// (asked for archives with
QUILL_DOCKER_REMOTE=1) or over ssh:// through an sshd on loopback (remote by its
URL alone), with a one-line builder image sent from this machine's engine."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from pytest_quill.engine import backends
from pytest_quill.engine.backends import remote as remote_engines
from pytest_quill.engine.backends import transfer
from pytest_quill.engine.backends.base import Toolchain
from pytest_quill.engine.backends.docker import DockerBackend
from pytest_quill.errors import BenchError
from tests.sshd import SSHD, start_sshd
from tests.support.remote_engine import bind_mounts, remote_engine
from tests.support.services import free_tcp_port


@pytest.mark.parametrize(
    "url, remote",
    [
        ("unix:///run/pytest-quill/docker.sock", False),
        ("tcp://127.0.0.1:2375", False),
        ("tcp://localhost:2375", False),
        ("tcp://[::1]:2375", False),
        ("tcp://build-host:2375", True),
        ("tcp://10.0.0.5:2376", True),
        ("ssh://ci@build-host", True),
    ],
)
def test_remote_is_decided_by_the_engine_url(monkeypatch, url, remote):
    monkeypatch.delenv(remote_engines.FORCE, raising=False)
    assert remote_engines.is_remote(url) is remote


@pytest.mark.parametrize("forced, remote", [("1", True), ("0", False)])
def test_quill_docker_remote_overrides_the_url(monkeypatch, forced, remote):
    monkeypatch.setenv(remote_engines.FORCE, forced)
    assert remote_engines.is_remote("unix:///var/run/docker.sock") is remote
    assert remote_engines.is_remote("ssh://ci@build-host") is remote


def test_units_are_the_outermost_existing_paths_argv_names_under_a_root(tmp_path):
    root, tree = tmp_path / "cache", tmp_path / "cache" / "work" / "tree"
    (tree / "sub").mkdir(parents=True)
    argv = [
        "make",
        "-C",
        str(tree),
        f"O={tree}/sub",
        f"INSTALL_MOD_PATH={root}/out/modules",
        "/usr/bin/gcc",
        str(root),
        "CC=ccache gcc",
    ]
    assert transfer.units_of(argv, [root]) == [root / "work" / "tree"]


def test_a_script_naming_a_path_no_argument_sends_is_found():
    roots, units = [Path("/c/cache"), Path("/p")], [Path("/c/cache/a")]
    script = 'cat /c/cache/a/b > "$1"; ls /c/cache2 /x/c/cache/z; PATH=/c/cache/w:/c/cache/v; cd /p && make'
    assert transfer.unsent_in_script(["sh", "-ec", script, "sh", "/c/cache/a"], roots, units) == [
        "/c/cache/w",
        "/c/cache/v",
        "/p",
    ]
    assert transfer.unsent_in_script(["sh", "/c/cache/x.sh", "/p/y"], roots, []) == []


def test_an_ssh_engine_that_does_not_answer_is_one_line_naming_docker_host(monkeypatch):
    port = free_tcp_port()  # nothing listens there
    monkeypatch.setenv("DOCKER_HOST", f"ssh://root@127.0.0.1:{port}")
    with pytest.raises(BenchError) as failed:
        backends.resolve("auto")
    said = failed.value.one_line()
    assert said == str(failed.value)
    assert (
        f"DOCKER_HOST=ssh://root@127.0.0.1:{port} does not answer (ssh: connect to host "
        f"127.0.0.1 port {port}: Connection refused)" in said
    )
    assert f"`ssh -p {port} root@127.0.0.1 docker version` works" in said


def test_an_ssh_host_whose_engine_is_down_says_what_the_docker_cli_there_said(monkeypatch, tmp_path):
    if not os.path.exists(SSHD):
        pytest.skip(f"{SSHD}: missing (apt-get install openssh-server)")
    engine_port = free_tcp_port()  # the engine the ssh host's docker CLI is told to use: none
    sshd = start_sshd(tmp_path / "sshd", {"DOCKER_HOST": f"tcp://127.0.0.1:{engine_port}"})
    try:
        monkeypatch.setenv("PATH", sshd.env()["PATH"])
        monkeypatch.setenv("DOCKER_HOST", f"ssh://root@127.0.0.1:{sshd.port}")
        with pytest.raises(BenchError) as failed:
            backends.resolve("docker")
    finally:
        sshd.stop()
    assert "\n" not in str(failed.value)
    assert f"DOCKER_HOST=ssh://root@127.0.0.1:{sshd.port} does not answer (" in str(failed.value)
    assert f"127.0.0.1:{engine_port}" in str(failed.value)


@pytest.fixture(scope="module", params=["tcp", "ssh"])
def backend(request, tmp_path_factory, builder_dockerfile):
    if request.param == "ssh" and not os.path.exists(SSHD):
        pytest.skip(f"{SSHD}: missing (apt-get install openssh-server)")
    folder = tmp_path_factory.mktemp("remote")
    with remote_engine() as url, pytest.MonkeyPatch.context() as env:
        if request.param == "ssh":  # the engine's host runs `docker` with DOCKER_HOST=url
            sshd = start_sshd(folder / "sshd", {"DOCKER_HOST": url})
            request.addfinalizer(sshd.stop)
            env.setenv("PATH", sshd.env()["PATH"])
            env.setenv("DOCKER_HOST", f"ssh://root@127.0.0.1:{sshd.port}")
            env.delenv(remote_engines.FORCE, raising=False)
        else:
            env.setenv("DOCKER_HOST", url)
            env.setenv(remote_engines.FORCE, "1")
        (folder / "project").mkdir()
        made = DockerBackend(
            folder / "project", mounts=(folder / "cache",), log_dir=folder / "logs"
        ).with_toolchain(Toolchain(builder_dockerfile))
        assert made.remote
        made.builder_image()
        yield made
        assert bind_mounts(made.client) == []
        made.client.close()  # an ssh:// client's sessions and relay thread end with it


def run(backend: DockerBackend, script: str, *paths: Path, timeout: float = 120) -> tuple[int, str]:
    out = io.BytesIO()
    code = backend.run(
        ["sh", "-c", script, "sh", *map(str, paths)],
        cwd=backend.project_root,
        env=None,
        log=out,
        timeout=timeout,
    )
    return code, out.getvalue().decode()


def workspace(backend: DockerBackend, name: str) -> Path:
    path = backend.mounts[0] / name
    path.mkdir(parents=True)
    return path


def test_the_command_sees_only_what_it_names_and_its_changes_come_back(backend):
    work = workspace(backend, "changes")
    (work / "input").write_text("sent\n")
    (work / "gone").write_text("deleted there\n")
    (backend.mounts[0] / "unnamed").write_text("not sent\n")
    code, said = run(
        backend,
        'cat "$1/input"; test -e "$1/../unnamed" || echo unnamed not there; '
        'rm "$1/gone"; mkdir "$1/made"; echo out > "$1/made/file"; '
        'ln -s file "$1/made/link"; exit 3',
        work,
    )
    assert code == 3
    assert said.splitlines() == ["sent", "unnamed not there"]
    assert not (work / "gone").exists()
    assert (work / "made" / "file").read_text() == "out\n"
    assert os.readlink(work / "made" / "link") == "file"


def test_a_change_made_here_between_commands_is_what_the_next_one_sees(backend):
    work = workspace(backend, "between")
    (work / "config").write_text("first\n")
    (work / "stale").write_text("stale\n")
    assert run(backend, 'cat "$1/config"', work) == (0, "first\n")
    (work / "config").write_text("second, longer\n")
    (work / "stale").unlink()
    assert run(backend, 'cat "$1/config"; ls "$1"', work) == (0, "second, longer\nconfig\n")


def test_an_unpacked_tarball_comes_back_with_its_own_mtimes(backend, tmp_path):
    work = workspace(backend, "unpacked")
    packed = work / "tree.tar"
    (tmp_path / "old.c").write_text("int x;\n")
    os.utime(tmp_path / "old.c", ns=(10**18, 10**18 + 123456789))
    with tarfile.open(packed, "w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(tmp_path / "old.c", arcname="tree/old.c")
    (work / "out").mkdir()
    assert run(backend, 'tar -xf "$1" -C "$2"', packed, work / "out")[0] == 0
    assert (work / "out/tree/old.c").read_text() == "int x;\n"
    assert (work / "out/tree/old.c").stat().st_mtime_ns // 10**9 == 10**9


def test_a_file_written_over_here_never_writes_through_a_hard_link(backend):
    work = workspace(backend, "linked")
    (work / "original").write_text("user's tree\n")
    os.link(work / "original", work / "copy")
    assert run(backend, 'rm "$1"; echo rebuilt > "$1"', work / "copy")[0] == 0
    assert (work / "copy").read_text() == "rebuilt\n"
    assert (work / "original").read_text() == "user's tree\n"


def test_a_script_naming_a_path_in_its_text_is_refused_before_it_runs(backend):
    work = workspace(backend, "in-text")
    (work / "config").write_text("here\n")
    with pytest.raises(BenchError) as refused:
        run(backend, f"cat {work}/config")
    said = refused.value.one_line()
    assert said.startswith("sh -c 'cat /") and f"names {work}/config in its text" in said
    assert run(backend, f"cat {work}/config", work) == (0, "here\n")  # named as an argument too


def test_a_command_past_its_time_is_stopped(backend):
    with pytest.raises(subprocess.TimeoutExpired):
        run(backend, "sleep 300", timeout=3)
    assert backend.client.containers.list(all=True) == []


@pytest.mark.parametrize("backend", ["ssh"], indirect=True)
def test_an_ssh_client_that_is_closed_leaves_no_ssh_running(backend):
    others = dial_stdio_sessions()  # the backend's own client's
    client = remote_engines.engine_client(os.environ["DOCKER_HOST"], timeout=30)
    client.containers.list(all=True)
    client.images.list()
    sessions = dial_stdio_sessions() - others
    assert sessions  # its connections, kept for the next requests
    client.close()
    deadline = time.monotonic() + 30
    while sessions & dial_stdio_sessions() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sessions & dial_stdio_sessions() == set()


def dial_stdio_sessions() -> set[int]:
    """The ssh processes this process started for an engine's connections."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and (entry / "stat").read_text().split()[3] == str(os.getpid())
                and b"dial-stdio" in (entry / "cmdline").read_bytes()
            ):
                found.add(int(entry.name))
        except OSError:
            continue  # ended meanwhile
    return found
