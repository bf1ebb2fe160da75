"""The smaller faults of issue 24 (item 6), each run for real (pytest or quill in a
subprocess): one line, the right exit code (4 for bad input, 1 for a failed
run), nothing lost.

- a profile file that is not UTF-8;
- an empty .patch in kernel.compat_patches;
- a kernel.source that does not exist;
- a read-only cache: quill status lists it, quill boot boots its card (a real
  read-only bind mount: we run as root, and root ignores file modes);
- the private engine's socket: root and the docker group, else root alone, never
  the caller's primary group (dockerd.sh run with a fake dockerd that records
  its argv).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from pytest_quill import cli, data
from pytest_quill.cli import cached, common
from tests.support.quill_cli import seed

PROJECT = Path(__file__).resolve().parents[2]
QUILL = Path(sys.executable).parent / "quill"
ONE_TEST = "def test_one(): pass"


def quill(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The installed console script, from the project's folder, with no terminal."""
    return subprocess.run(
        [str(QUILL), *argv],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        timeout=timeout,
    )


def refusal(done: subprocess.CompletedProcess) -> str:
    """The one line quill ended with (exit 4, no traceback, nothing on stdout)."""
    assert done.returncode == 4, done.stdout + done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def pytest_usage_error(pytester, *args, test: str = ONE_TEST) -> str:
    """pytest with ARGS in a project with the plan: exit 4, no traceback, the ERROR line."""
    pytester.makepyfile(test_one=test)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == 4, output
    assert "Traceback" not in output and "INTERNALERROR" not in output
    errors = [line for line in result.stderr.lines if line.startswith("ERROR: ")]
    assert len(errors) == 1, output
    return errors[0].removeprefix("ERROR: ")


def host(tmp_path: Path) -> list[str]:
    return ["--backend", "host", "--cache", str(tmp_path / "cache"), "--reports", str(tmp_path / "reports")]


# -- a profile file that is not UTF-8 ---------------------------------------------


def latin1_profile(folder: Path) -> Path:
    """qemu-virt's profile with a Latin-1 é in a comment (as an editor on Windows saves it)."""
    text = (PROJECT / "hardware_profiles" / "qemu-virt.toml").read_text()
    path = folder / "board.toml"
    path.write_bytes(("# Board de test, café\n" + text).encode("latin-1"))
    return path


def test_a_profile_that_is_not_utf8_is_one_line_in_pytest(pytester):
    path = latin1_profile(pytester.path)
    line = pytest_usage_error(pytester, "--quill-profile", str(path))
    assert line == f"{path}: not UTF-8 text (byte 0xe9 at offset 20); TOML files are UTF-8: save it as UTF-8"


def test_a_profile_that_is_not_utf8_is_one_line_in_quill(tmp_path):
    path = latin1_profile(tmp_path)
    assert refusal(quill("status", "--profile", str(path), *host(tmp_path))) == (
        f"quill: {path}: not UTF-8 text (byte 0xe9 at offset 20); TOML files are UTF-8: save it as UTF-8"
    )


# -- an empty .patch ------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"", b"\n", b"Subject: [PATCH] fix the build\n\nNo diff.\n"],
    ids=["empty", "blank", "a-message-alone"],
)
def test_a_patch_with_no_change_is_refused_naming_it(tmp_path, content):
    folder = tmp_path / "compat"
    folder.mkdir()
    (folder / "0001-good.patch").write_text(
        "--- a/Makefile\n+++ b/Makefile\n@@ -1 +1 @@\n-VERSION = 6\n+VERSION = 6\n"
    )
    (folder / "0002-empty.patch").write_bytes(content)
    done = quill("status", "--set", f"kernel.compat_patches={folder}", *host(tmp_path))
    assert refusal(done) == (
        f"quill: kernel.compat_patches {folder}/0002-empty.patch: no change in it (no hunk of a "
        "unified or context diff); write it with `diff -u` or `git diff`, or remove the file"
    )
    assert not (tmp_path / "cache").exists()


# -- a kernel.source that does not exist ----------------------------------------------


def test_a_kernel_source_that_does_not_exist_is_bad_input_for_quill(tmp_path):
    source = tmp_path / "nowhere" / "linux-6.1.tar.xz"
    done = quill("status", "--set", f"kernel.source={source}", *host(tmp_path))
    assert refusal(done) == f"quill: kernel.source {source}: {source} does not exist"


def test_a_kernel_source_that_does_not_exist_is_bad_input_for_a_run(pytester):
    source = pytester.path / "nowhere" / "linux-6.1.tar.xz"
    line = pytest_usage_error(
        pytester,
        "--quill-backend",
        "host",
        "--quill-set",
        f"kernel.source={source}",
        test="def test_kernel(kernel_uimage): pass",
    )
    assert line == f"kernel.source {source}: {source} does not exist"


# -- a read-only cache --------------------------------------------------------------


@contextmanager
def read_only(folder: Path):
    """FOLDER bind-mounted read-only on itself for the block (root ignores modes)."""
    if os.geteuid() != 0:
        pytest.skip("a read-only bind mount needs root")
    done = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {done.stderr.strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True, capture_output=True)
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def tree_digest(folder: Path) -> str:
    """Every path, mode, size, mtime and content under FOLDER."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        stat = path.lstat()
        digest.update(
            f"{path.relative_to(folder)} {stat.st_mode} {stat.st_size} {stat.st_mtime_ns}\n".encode()
        )
        if path.is_file():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def test_quill_status_lists_a_read_only_cache(tmp_path):
    argv = seed(tmp_path)
    cache = Path(argv[argv.index("--cache") + 1])
    before = tree_digest(cache)
    with read_only(cache):
        done = quill("status", *argv)
        assert done.returncode in (0, 1), done.stderr  # 1: no run record yet, said as such
        assert "Traceback" not in done.stderr and "not writable" not in done.stderr
        listed = [line.split()[0] for line in done.stdout.splitlines() if f" {cache}/artifacts/" in line]
        assert listed == ["kernel", "rootfs", "sdcard"], done.stdout
    assert tree_digest(cache) == before


def copy_of_the_cached_card(dest: Path) -> Path:
    """A cache at DEST holding this machine's cached qemu-virt card and its deps, at the
    keys quill computes here (a run of this checkout made them); skip when there is none."""
    found = common.setup(cli.parser().parse_args(["status"]))
    listed = cached.entries(found)
    if not all(entry.artifact for entry in listed):
        pytest.skip("no qemu-virt card of this checkout in the default cache (a run makes one)")
    for entry in listed:
        target = dest / "artifacts" / entry.name / entry.key
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-a", "--sparse=always", str(entry.artifact.path), str(target)], check=True)
    return dest


@pytest.mark.timeout(300)
def test_quill_boot_boots_the_card_of_a_read_only_cache_and_writes_nothing_there(tmp_path, monkeypatch):
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("no qemu-system-arm")
    monkeypatch.chdir(PROJECT)
    cache = copy_of_the_cached_card(tmp_path / "cache")
    before = tree_digest(cache)
    with read_only(cache):
        # No terminal: the end of input ends the session once the shell answered.
        done = quill("boot", "--cache", str(cache), "--reports", str(tmp_path / "reports"), timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "quill: shell after " in done.stdout and "bench powered off" in done.stdout
    assert tree_digest(cache) == before


# -- the private engine's socket -------------------------------------------------------


def fake_tools(folder: Path, docker_group: bool) -> Path:
    """dockerd that records its argv and stands for an engine (a marker file), docker
    that answers once it stands, getent that knows a docker group or none."""
    folder.mkdir(parents=True, exist_ok=True)
    started = folder / "started"
    scripts = {
        # It stays up, as an engine does, until the test ends it (its pid in dockerd.pid).
        "dockerd": (
            f'printf "%s\\n" "$@" > "{folder}/argv"; echo $$ > "{folder}/dockerd.pid"; '
            f': > "{started}"; exec sleep 60\n'
        ),
        "docker": f'[ -e "{started}" ]\n',
        "getent": (
            '[ "$1 $2" = "group docker" ] && echo docker:x:113: && exit 0; exit 2\n'
            if docker_group
            else "exit 2\n"
        ),
    }
    for name, body in scripts.items():
        (folder / name).write_text("#!/bin/sh\n" + body)
        (folder / name).chmod(0o755)
    return folder


@pytest.mark.parametrize("docker_group, group", [(True, "docker"), (False, "root")])
def test_the_private_engines_socket_is_for_root_and_the_docker_group_only(tmp_path, docker_group, group):
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("dockerd.sh starts the engine as root (here in a mount namespace: unshare)")
    tools = fake_tools(tmp_path / "bin", docker_group)
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}", "QUILL_DOCKERD_WAIT_S": "10"}
    env.pop("DOCKER_HOST", None)
    # In a mount namespace of its own, with empty /run and /var/lib: the script's state
    # (its lock, log, data root) never touches this machine's private engine.
    isolated = 'mount -t tmpfs quill-run /run && mount -t tmpfs quill-lib /var/lib && exec sh "$0"'
    try:
        done = subprocess.run(
            [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                isolated,
                str(data.path("dockerd.sh")),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
    finally:
        if (tools / "dockerd.pid").exists():
            os.kill(int((tools / "dockerd.pid").read_text()), signal.SIGTERM)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "unix:///run/pytest-quill/docker.sock\n"
    argv = (tools / "argv").read_text().splitlines()
    assert argv[argv.index("--group") + 1] == group
    assert f"(0660 root:{group})" in done.stderr
