"""The Docker backend against a real engine: paths, ownership, exit codes,
the builder image made once, containers never left behind.

An engine is started with the private engine script when none answers. The builder
image here is a one-line Dockerfile on the project's Debian base (made once
with mmdebstrap when no registry answers, then cached by tag), so each test
takes seconds.
"""

from __future__ import annotations

import dataclasses
import io
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path

import pytest

from pytest_quill import data
from pytest_quill.engine.backends import docker as docker_backend
from pytest_quill.engine.backends import docker_images
from pytest_quill.engine.backends.docker import (
    DOCKERD_SCRIPT,
    DockerBackend,
    docker_available,
    find_engine,
)
from pytest_quill.errors import BenchError, BuildError
from pytest_quill.profile import load_profile
from tests.support.builders import kernel_docker
from tests.support.signals import sigint_raises_keyboard_interrupt

NOBODY = 65534


def backend_with_builder(
    tmp_path: Path, dockerfile_text: str, profile_name: str = "qemu-virt"
) -> DockerBackend:
    """A backend whose builder image is DOCKERFILE_TEXT, rooted at tmp_path/project."""
    dockerfile = tmp_path / "test-builder.dockerfile"
    dockerfile.write_text(dockerfile_text)
    profile = load_profile(profile_name)
    profile = dataclasses.replace(
        profile, kernel=dataclasses.replace(profile.kernel, docker_builder=dockerfile)
    )
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    return kernel_docker(profile, project, mounts=(tmp_path / "cache",), log_dir=tmp_path / "logs")


@pytest.fixture
def backend(tmp_path, debian_base) -> DockerBackend:
    return backend_with_builder(tmp_path, f"FROM {debian_base}\n")


def ours(backend: DockerBackend, pid: int | None = None) -> list:
    """Containers made by process PID (this one by default)."""
    owner = f"{socket.gethostname()}:{pid or os.getpid()}"
    return backend.client.containers.list(
        all=True, filters={"label": f"{docker_backend.OWNER_LABEL}={owner}"}
    )


def test_run_works_at_the_host_paths_and_streams_output_into_the_log(backend):
    workdir = backend.project_root / "sub"
    workdir.mkdir()
    cache = backend.mounts[0]
    log = io.BytesIO()
    code = backend.run(
        [
            "sh",
            "-c",
            f"pwd; echo to-stdout; echo to-stderr >&2; echo made > made.txt; echo cached > {cache}/c.txt",
        ],
        cwd=workdir,
        env=None,
        log=log,
        timeout=60,
    )
    text = log.getvalue().decode()
    assert code == 0, text
    assert text.splitlines()[:3] == [str(workdir), "to-stdout", "to-stderr"]
    assert (workdir / "made.txt").read_text() == "made\n"
    assert (cache / "c.txt").read_text() == "cached\n"


def test_run_passes_the_env_and_a_writable_home(backend):
    log = io.BytesIO()
    backend.run(
        ["sh", "-c", 'echo "$QUILL_PROBE $HOME"; touch "$HOME/x"'],
        cwd=backend.project_root,
        env={"QUILL_PROBE": "42"},
        log=log,
        timeout=60,
    )
    assert log.getvalue().decode() == "42 /tmp\n"


def test_exit_codes_propagate(backend):
    def run(argv):
        return backend.run(argv, cwd=backend.project_root, env=None, log=io.BytesIO(), timeout=60)

    assert run(["sh", "-c", "exit 7"]) == 7
    assert run(["false"]) == 1
    assert run(["true"]) == 0


def test_a_missing_command_is_127_with_the_shells_reason_in_the_log(backend):
    log = io.BytesIO()
    assert backend.run(["no-such-tool"], cwd=backend.project_root, env=None, log=log, timeout=60) == 127
    assert "no-such-tool: not found" in log.getvalue().decode()


def test_files_written_in_the_container_belong_to_the_caller(backend, engine):
    """As root, the caller is a process demoted to nobody (with the socket's group),
    in a project folder it can reach (pytest's tmp_path is private to root)."""
    if os.getuid() != 0:
        target = backend.project_root / "owned.txt"
        backend.run(["touch", str(target)], cwd=backend.project_root, env=None, log=io.BytesIO(), timeout=60)
        assert (target.stat().st_uid, target.stat().st_gid) == (os.getuid(), os.getgid())
        return
    project = Path(tempfile.mkdtemp(prefix="quill-owner-"))
    try:
        project.chmod(0o777)
        shared = DockerBackend(project, log_dir=backend.log_dir).with_toolchain(backend.toolchain)
        shared.builder_image()  # known before the fork: nobody cannot read tmp_path
        shared._client = None  # the child connects as itself, not on the parent's socket
        socket_path = Path(engine.removeprefix("unix://"))
        socket_group = socket_path.stat().st_gid if socket_path.exists() else NOBODY
        target = project / "owned.txt"
        assert (
            _as_nobody(
                socket_group,
                lambda: shared.run(
                    ["touch", str(target)], cwd=project, env=None, log=io.BytesIO(), timeout=60
                ),
            )
            == 0
        )
        assert (target.stat().st_uid, target.stat().st_gid) == (NOBODY, NOBODY)
    finally:
        shutil.rmtree(project)


def _as_nobody(extra_group: int, action) -> int:
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            os.setgroups([extra_group])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            code = action()
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_identity_names_the_builder_image_and_the_tools_in_it(backend):
    identity = backend.identity(["apt-get", "no-such-tool"])
    first, *tools = identity.splitlines()
    assert first == f"docker {backend.builder_tag()} {backend.builder_image()}"
    assert tools[0].startswith("apt-get: apt ")
    assert tools[1] == "no-such-tool: missing"


def test_tool_versions_are_asked_once_per_builder_image(tmp_path, debian_base, monkeypatch):
    """A later backend (a later run) sharing the versions folder gets the same
    identity without starting a container: the image id names what it holds."""
    kept = tmp_path / "toolchains"
    first = backend_with_builder(tmp_path, f"FROM {debian_base}\n")
    first.versions_dir = kept
    identity = first.identity(["apt-get", "no-such-tool"])
    assert [path.suffix for path in kept.iterdir()] == [".txt"]  # kept whole: no partial left

    later = backend_with_builder(tmp_path, f"FROM {debian_base}\n")
    later.versions_dir = kept
    monkeypatch.setattr(DockerBackend, "run", lambda *args, **kwargs: pytest.fail("a container was started"))
    assert later.identity(["apt-get", "no-such-tool"]) == identity


def test_a_timeout_kills_and_removes_the_container(backend):
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        backend.run(["sleep", "120"], cwd=backend.project_root, env=None, log=io.BytesIO(), timeout=2)
    assert time.monotonic() - started < 20
    assert ours(backend) == []


def test_an_interrupted_run_leaves_no_container(backend):
    backend.builder_image()
    interrupt = threading.Timer(2, os.kill, (os.getpid(), signal.SIGINT))
    with sigint_raises_keyboard_interrupt(), pytest.raises(KeyboardInterrupt):
        interrupt.start()
        backend.run(["sleep", "120"], cwd=backend.project_root, env=None, log=io.BytesIO(), timeout=300)
    assert ours(backend) == []


def test_containers_of_a_killed_process_are_removed_by_the_next_backend(backend):
    backend.builder_image()
    child = multiprocessing.get_context("fork").Process(target=_run_forever, args=(backend,))
    child.start()
    deadline = time.monotonic() + 30
    while not ours(backend, child.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ours(backend, child.pid), "the child's container never appeared"
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    assert ours(backend, child.pid), "SIGKILL cannot clean up: the container should remain"
    fresh = DockerBackend(backend.project_root, log_dir=backend.log_dir).with_toolchain(backend.toolchain)
    assert ours(fresh, child.pid) == []


def _run_forever(backend: DockerBackend) -> None:
    backend._client = None  # a connection of its own, not the parent's socket
    backend.run(["sleep", "300"], cwd=backend.project_root, env=None, log=io.BytesIO(), timeout=600)


def test_the_builder_image_is_built_once_when_two_processes_ask_at_once(tmp_path, debian_base):
    nonce = uuid.uuid4().hex
    backend = backend_with_builder(
        tmp_path, f"ARG BASE=debian:bookworm\nFROM ${{BASE}}\nRUN echo {nonce} > /nonce\n"
    )
    context = multiprocessing.get_context("fork")
    start = context.Barrier(2)
    results = context.Queue()
    workers = [context.Process(target=_ask_for_builder, args=(backend, start, results)) for _ in range(2)]
    try:
        for worker in workers:
            worker.start()
        ids = [results.get(timeout=300) for _ in workers]
        for worker in workers:
            worker.join()
        assert ids[0] == ids[1] and ids[0].startswith("sha256:"), ids
        (log,) = backend.log_dir.iterdir()
        assert log.read_text().count("Successfully built") == 1
        assert f"BASE={debian_base}" in log.read_text()
    finally:
        if backend.client.images.list(name=backend.builder_tag()):
            backend.client.images.remove(backend.builder_tag(), force=True)


def _ask_for_builder(backend: DockerBackend, start, results) -> None:
    start.wait()
    try:
        results.put(backend.builder_image())
    except Exception as exc:  # the parent asserts on it: a failure, not a 300 s wait
        results.put(f"failed: {exc!r}")


def test_a_foreign_platform_without_binfmt_is_a_bench_error_naming_the_fix(engine, tmp_path):
    unregistered = [
        arch
        for arch, handler in docker_images.BINFMT_OF.items()
        if arch != docker_images.debian_arch_of(None)
        and not Path(f"/proc/sys/fs/binfmt_misc/{handler}").exists()
    ]
    if not unregistered:
        pytest.skip("every foreign architecture has a binfmt handler here")
    arch = unregistered[0]
    dockerfile = tmp_path / "x.dockerfile"
    dockerfile.write_text("ARG BASE=debian:bookworm\nFROM ${BASE}\nRUN true\n")
    backend = kernel_docker(load_profile("qemu-virt"), tmp_path)
    with pytest.raises(BenchError) as failure:
        backend.build_image(
            dockerfile, tmp_path, docker_images.PLATFORM_OF[arch], {}, "quill-test/never:1", io.BytesIO()
        )
    message = failure.value.one_line()
    assert f"{docker_images.BINFMT_OF[arch]} is not registered in binfmt_misc" in message
    assert "update-binfmts --enable" in message


def test_the_nook_builder_failure_says_what_base_it_needs(engine, tmp_path):
    """The Ubuntu 12.04 builder, for users who have that image (the Nook profile
    itself builds with Debian's cross compiler)."""
    nook = load_profile("nook-simple-touch")
    nook = dataclasses.replace(
        nook,
        kernel=dataclasses.replace(nook.kernel, docker_builder=data.path("docker/nook-builder.dockerfile")),
    )
    backend = kernel_docker(nook, tmp_path, log_dir=tmp_path / "logs")
    if backend.client.images.list(name="ubuntu"):
        pytest.skip("an ubuntu image is present here: the Nook builder could really build")
    with pytest.raises(BuildError) as failure:
        backend.builder_image()
    message = failure.value.one_line()
    assert message.startswith("nook-builder.dockerfile: base image ubuntu:12.04 not present")
    assert "it needs: an ubuntu:12.04 image" in message
    assert str(tmp_path / "logs") in message


def test_dockerd_script_starts_nothing_when_an_engine_answers(engine):
    pidfile = Path("/run/pytest-quill/docker.pid")
    before = pidfile.read_text() if pidfile.exists() else None
    done = subprocess.run(["sh", str(DOCKERD_SCRIPT)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == engine
    assert (pidfile.read_text() if pidfile.exists() else None) == before


def test_a_dead_docker_host_is_not_replaced_by_the_engine_that_answers(engine, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")
    reason = docker_available()
    assert reason.startswith("DOCKER_HOST=tcp://127.0.0.1:9 does not answer (")
    assert find_engine()[0] is None


def test_docker_available_says_why_for_each_place_it_looked(monkeypatch, tmp_path):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(docker_backend, "PRIVATE_URL", f"unix://{tmp_path}/private.sock")
    monkeypatch.setattr(docker_backend, "DEFAULT_URL", f"unix://{tmp_path}/default.sock")
    reason = docker_available()
    assert reason is not None
    private, default = reason.split("; ")
    assert private == f"unix://{tmp_path}/private.sock: no such socket"
    assert default == f"unix://{tmp_path}/default.sock: no such socket"


def test_a_dead_docker_host_is_said_with_its_reason_and_the_way_out(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")
    reason = docker_available()
    assert reason.startswith("DOCKER_HOST=tcp://127.0.0.1:9 does not answer (")
    assert "refused" in reason.lower() and "\n" not in reason
    assert reason.endswith(
        "start that engine, or unset DOCKER_HOST to use the private engine "
        f"(sh {DOCKERD_SCRIPT}) or the default socket"
    )


def test_the_builder_image_says_which_programs_it_lacks(backend):
    assert backend.missing(["sh", "tar", "quill-no-such-program"]) == ["quill-no-such-program"]
