"""kernel.ccache_remote: handed to ccache on every backend, out of the key, its
hits and misses read from ccache's own counters."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_quill.kernel.make import KernelMake, read_stats, stats_record
from pytest_quill.kernel.recipe import RECIPE
from pytest_quill.profile import load_profile

ROOT = Path(__file__).resolve().parents[2]


def kmake(remote: str) -> KernelMake:
    return KernelMake(
        tree=Path("/w/src/tree"),
        build_dir=Path("/w/build"),
        arch="arm",
        cross_compile="arm-linux-gnueabi-",
        jobs=2,
        ccache_dir=Path("/w/ccache"),
        ccache_base=Path("/w"),
        ccache_remote=remote,
    )


def test_the_remote_storage_is_a_second_level_beside_the_local_folder():
    env = kmake("redis://cache.lab:6379").env()
    assert env["CCACHE_REMOTE_STORAGE"] == "redis://cache.lab:6379"
    assert env["CCACHE_DIR"] == "/w/ccache" and "CCACHE_REMOTE_ONLY" not in env
    # Two workspaces at other paths hash the same relative paths.
    assert env["CCACHE_BASEDIR"] == "/w"
    assert "CCACHE_REMOTE_STORAGE" not in kmake("").env()


def test_the_remote_address_is_not_part_of_the_kernel_key():
    plain = load_profile("qemu-virt")
    shared = load_profile("qemu-virt", {"kernel.ccache_remote": "redis://127.0.0.1:6379"})
    assert RECIPE.fingerprint(plain, ROOT) == RECIPE.fingerprint(shared, ROOT)


def test_the_record_names_the_server_never_its_password():
    assert stats_record({}, {}, "redis://:s3cret@cache.lab:6379")["remote"] == "redis://cache.lab:6379"


@pytest.mark.skipif(not (shutil.which("ccache") and shutil.which("gcc")), reason="no ccache/gcc")
def test_a_build_counts_its_own_hits_and_misses_from_ccache(tmp_path):
    env = {"CCACHE_DIR": str(tmp_path / "ccache"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    (tmp_path / "a.c").write_text("int a(void) { return 1; }\n")

    def counters() -> dict:
        done = subprocess.run(
            ["ccache", "--print-stats"], env=env, capture_output=True, text=True, check=True
        )
        return read_stats(done.stdout)

    def compile_once() -> None:
        subprocess.run(["ccache", "gcc", "-c", "a.c", "-o", "a.o"], cwd=tmp_path, env=env, check=True)

    before = counters()
    compile_once()
    compile_once()
    stats = stats_record(before, counters(), "")
    assert (stats["hits"], stats["misses"]) == (1, 1)
    assert stats["remote"] == "" and stats["remote_storage_hit"] == 0
