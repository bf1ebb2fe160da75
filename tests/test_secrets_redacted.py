"""No secret from any URL in a log, record or report (issue 24, item 4): the
redaction itself, a kernel compile's log and record written through the recipe
with a password in kernel.ccache_remote (a fake make on PATH, the real ccache),
and the password forms ccache itself accepts against a Redis with requirepass."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_quill import data
from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.context import BuildContext
from pytest_quill.kernel import recipe as kernel
from pytest_quill.kernel import tree as kernel_tree
from pytest_quill.kernel.make import read_stats, stats_record
from pytest_quill.profile import load_profile
from pytest_quill.secrets import redact
from tests.support.services import free_tcp_port, stop

PROJECT = Path(__file__).resolve().parents[1]
PASSWORD = "Zq7-s3cret-pw"


@pytest.mark.parametrize(
    "url, shown",
    [
        (f"redis://{PASSWORD}@cache.lab:6379", "redis://***@cache.lab:6379"),
        (f"redis://default:{PASSWORD}@cache.lab:6379/0", "redis://default:***@cache.lab:6379/0"),
        (f"redis://:{PASSWORD}@cache.lab", "redis://:***@cache.lab"),
        (
            f"redis+unix://{PASSWORD}@localhost/run/redis.sock?db=0",
            "redis+unix://***@localhost/run/redis.sock?db=0",
        ),
        (
            f"http://ci:{PASSWORD}@cache.lab/ccache|layout=bazel",
            "http://ci:***@cache.lab/ccache|layout=bazel",
        ),
        (
            f"http://cache.lab/ccache|bearer-token={PASSWORD}|keep-alive=false",
            "http://cache.lab/ccache|bearer-token=***|keep-alive=false",
        ),
        (f"tcp://builder:{PASSWORD}@10.0.0.5:2376", "tcp://builder:***@10.0.0.5:2376"),
        (
            f"https://robot:{PASSWORD}@registry.lab:5000/v2/quill",
            "https://robot:***@registry.lab:5000/v2/quill",
        ),
        (
            f"https://example.org/linux.tar.xz?token={PASSWORD}&x=1",
            "https://example.org/linux.tar.xz?token=***&x=1",
        ),
        (f"redis://:p@ss{PASSWORD}@cache.lab", "redis://:***@cache.lab"),  # an @ in the password
        (f"ci:{PASSWORD}@registry.lab:5000/quill", "ci:***@registry.lab:5000/quill"),  # no scheme
        (f"'ci:p@ss{PASSWORD}@registry.lab/quill'", "'ci:***@registry.lab/quill'"),
        ("debian:bookworm@sha256:0123abcd", "debian:bookworm@sha256:0123abcd"),  # tag and digest
        ("127.0.0.1:5000/quill@sha256:0123abcd", "127.0.0.1:5000/quill@sha256:0123abcd"),
        ("builder@farm.lab:2376", "builder@farm.lab:2376"),
        ("ssh://builder@farm.lab", "ssh://builder@farm.lab"),  # a user name is no secret
        ("redis://cache.lab:6379", "redis://cache.lab:6379"),
        ("unix:///var/run/docker.sock", "unix:///var/run/docker.sock"),
    ],
)
def test_a_urls_secret_is_masked_and_the_server_still_named(url, shown):
    assert redact(url) == shown


def test_the_ccache_record_names_the_server_alone():
    assert (
        stats_record({}, {}, f"http://ci:{PASSWORD}@cache.lab/cc|bearer-token={PASSWORD}")["remote"]
        == "http://cache.lab/cc|bearer-token=***"
    )
    assert stats_record({}, {}, "")["remote"] == ""


def test_urls_quoted_in_a_line_are_masked_each():
    line = f"DOCKER_HOST=tcp://a:{PASSWORD}@h:2376 (Invalid bind address tcp://a:{PASSWORD}@h:2376)"
    assert redact(line) == "DOCKER_HOST=tcp://a:***@h:2376 (Invalid bind address tcp://a:***@h:2376)"


def context(tmp_path: Path, remote: str) -> BuildContext:
    for folder in ("out", "tree"):
        (tmp_path / folder).mkdir(exist_ok=True)
    profile = load_profile("qemu-virt", {"kernel.ccache_remote": remote})
    return BuildContext(
        name="kernel",
        profile=profile,
        out=tmp_path / "out",
        log_path=tmp_path / "kernel.log",
        backend=HostBackend(),
        deps={},
        jobs=1,
        work_root=tmp_path / "work",
        project_root=PROJECT,
    )


def fake_make(folder: Path) -> Path:
    """A make that writes the release file the recipe reads after compiling."""
    folder.mkdir(parents=True, exist_ok=True)
    make = folder / "make"
    make.write_text(
        '#!/bin/sh\nfor a in "$@"; do case "$a" in O=*) out="${a#O=}";; esac; done\n'
        'mkdir -p "$out/include/config" && echo 6.1.0-quill > '
        '"$out/include/config/kernel.release"\necho "  CC      init/main.o"\n'
    )
    make.chmod(0o755)
    return folder


@pytest.mark.skipif(shutil.which("ccache") is None, reason="no ccache")
def test_a_compile_with_a_password_url_writes_it_to_no_log_and_no_record(tmp_path, monkeypatch):
    # Port 9 (discard): nothing answers, ccache counts a remote error and goes on.
    remote = f"redis://{PASSWORD}@127.0.0.1:9|connect-timeout=50"
    monkeypatch.setenv("PATH", f"{fake_make(tmp_path / 'bin')}{os.pathsep}{os.environ['PATH']}")
    ctx = context(tmp_path, remote)
    make = kernel._kernel_make(ctx, tmp_path / "tree", "redacted")
    assert make.ccache_dir is not None and make.env()["CCACHE_REMOTE_STORAGE"] == remote
    release, stats = kernel._compile(ctx, make, {"MODULES": "n"})
    record = json.dumps({"ccache_stats": stats})
    log = ctx.log_path.read_text()
    assert release == "6.1.0-quill" and "  CC      init/main.o" in log  # make ran, its output logged
    assert stats["remote"] == "redis://127.0.0.1:9|connect-timeout=50"
    assert PASSWORD not in log and PASSWORD not in record
    assert "remote redis://127.0.0.1:9|connect-timeout=50: 0 hits" in log


def test_without_ccache_the_unused_remote_is_noted_without_its_password(tmp_path, monkeypatch):
    bin_folder = fake_make(tmp_path / "bin")
    for tool in ("sh", "mkdir"):
        (bin_folder / tool).symlink_to(shutil.which(tool))
    monkeypatch.setenv("PATH", str(bin_folder))  # no ccache on this PATH
    ctx = context(tmp_path, f"redis://{PASSWORD}@127.0.0.1:9")
    make = kernel._kernel_make(ctx, tmp_path / "tree", "redacted")
    assert make.ccache_dir is None
    kernel._compile(ctx, make, {"MODULES": "n"})
    log = ctx.log_path.read_text()
    assert "kernel.ccache_remote redis://***@127.0.0.1:9: unused" in log
    assert PASSWORD not in log


@pytest.fixture
def redis_with_password(tmp_path):
    """127.0.0.1:PORT of a redis-server bound to loopback that wants PASSWORD."""
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        pytest.skip("redis-server is not installed")
    port = free_tcp_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--requirepass",
            PASSWORD,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            answered = subprocess.run(
                ["redis-cli", "-p", str(port), "--no-auth-warning", "-a", PASSWORD, "ping"],
                capture_output=True,
                text=True,
            )
            if answered.stdout.strip() == "PONG":
                break
            server.wait(timeout=0.1) if server.poll() is not None else None
        yield f"127.0.0.1:{port}"
    finally:
        stop(server, 10)


def ccache_remote_hits(tmp_path: Path, url: str) -> tuple[int, int]:
    """(remote hits, remote errors) of a second, fresh ccache folder compiling what a first
    one sent to URL."""
    source = tmp_path / "a.c"
    source.write_text("int a(void) { return 42; }\n")
    folders = [tmp_path / f"ccache-{n}-{abs(hash(url))}" for n in (1, 2)]
    for folder in folders:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "CCACHE_DIR": str(folder),
            "CCACHE_REMOTE_STORAGE": url,
        }
        subprocess.run(["ccache", "gcc", "-c", "a.c", "-o", "a.o"], cwd=tmp_path, env=env, check=True)
    stats = subprocess.run(
        ["ccache", "--print-stats"],
        env={**env, "CCACHE_DIR": str(folders[1])},
        capture_output=True,
        text=True,
        check=True,
    )
    counters = read_stats(stats.stdout)
    return counters["remote_storage_hit"], counters["remote_storage_error"]


@pytest.mark.skipif(not (shutil.which("ccache") and shutil.which("gcc")), reason="no ccache/gcc")
def test_ccache_reaches_a_redis_with_a_password_as_the_docs_write_it(redis_with_password, tmp_path):
    """ccache reads redis://[[USERNAME:]PASSWORD@]HOST: PASSWORD@ alone, or the user
    `default`; an empty user name (redis://:PASSWORD@) is refused by Redis' AUTH."""
    address = redis_with_password
    assert ccache_remote_hits(tmp_path, f"redis://{PASSWORD}@{address}") == (1, 0)
    assert ccache_remote_hits(tmp_path, f"redis://default:{PASSWORD}@{address}") == (1, 0)
    assert ccache_remote_hits(tmp_path, f"redis://:{PASSWORD}@{address}") == (0, 1)
    assert ccache_remote_hits(tmp_path, f"redis://{address}") == (0, 1)  # no password: refused


def test_a_git_sources_token_is_not_in_its_identity():
    """The identity is recorded in the kernel's meta and the run record."""
    identity = kernel_tree.source_identity(f"https://ci:{PASSWORD}@git.lab/linux.git#v6.1")
    assert identity == {"kind": "git", "url": "https://ci:***@git.lab/linux.git#v6.1"}
    assert kernel_tree.tree_label(identity).startswith("linux.git")


def test_the_engine_script_masks_a_password_in_docker_host():
    dead = f"tcp://builder:{PASSWORD}@127.0.0.1:{free_tcp_port()}"
    done = subprocess.run(
        ["sh", str(data.path("dockerd.sh"))],
        capture_output=True,
        text=True,
        env={**os.environ, "DOCKER_HOST": dead},
        timeout=60,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"dockerd.sh: DOCKER_HOST={redact(dead)} does not answer;")
    assert PASSWORD not in done.stderr
