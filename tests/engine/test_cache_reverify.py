"""A cache entry is not trusted by its path (issue 24, item 2): publishing records
the sha256 of each of its files in SHA256SUMS, and a reuse checks them first. A
flipped byte, a truncated, deleted or added file, or damaged sums make the
entry a miss: one warning line in the build log (and to the caller), then a
normal build whose entry replaces it. Real files in a real cache folder."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
from pathlib import Path

import pytest

from pytest_quill.engine.cache import SUMS, damage
from tests.support.recipes import FilesRecipe, build_here

TARBALL = gzip.compress(b"rootfs contents " * 4096, mtime=0)


def rootfs_recipe() -> FilesRecipe:
    """A tarball, a nested file and meta."""
    return FilesRecipe(
        "rootfs", {"rootfs.tar.gz": TARBALL, "parts/packages.txt": b"busybox\n"}, {"packages": 1}
    )


def produce(tmp_path: Path, recipe: FilesRecipe, warnings: list[str] | None = None, **options):
    return build_here(tmp_path, recipe, "k1", "rootfs.log", warnings, **options)


def cache_files(tmp_path: Path) -> list[str]:
    """Everything under the cache but the entry's own files: locks, no leftovers."""
    root = tmp_path / "cache"
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if not p.is_relative_to(root / "rootfs" / "k1")
    )


@pytest.fixture
def entry(tmp_path) -> Path:
    """A published entry, built once."""
    recipe = rootfs_recipe()
    artifact = produce(tmp_path, recipe)
    assert (artifact.status, recipe.built) == ("built", 1)
    return artifact.path


def test_publishing_records_the_sha256_of_every_file_as_sha256sum_writes_it(entry):
    sums = (entry / SUMS).read_text().splitlines()
    assert sorted(line.split("  ")[1] for line in sums) == [
        "build.log",
        "meta.json",
        "parts/packages.txt",
        "rootfs.tar.gz",
    ]
    assert f"{hashlib.sha256(TARBALL).hexdigest()}  rootfs.tar.gz" in sums
    checked = subprocess.run(
        ["sha256sum", "--check", "--strict", SUMS], cwd=entry, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert damage(entry) == ""


def test_an_intact_entry_is_reused_without_a_word(tmp_path, entry):
    recipe, warnings = rootfs_recipe(), []
    artifact = produce(tmp_path, recipe, warnings)
    assert (artifact.status, artifact.path, recipe.built) == ("cached", entry, 0)
    assert warnings == []
    assert "warning" not in (tmp_path / "rootfs.log").read_text()


def flip_a_byte(entry: Path) -> None:
    with open(entry / "rootfs.tar.gz", "r+b") as tarball:
        tarball.seek(100)
        byte = tarball.read(1)
        tarball.seek(100)
        tarball.write(bytes([byte[0] ^ 0x01]))


def truncate(entry: Path) -> None:
    with open(entry / "rootfs.tar.gz", "r+b") as tarball:
        tarball.truncate(len(TARBALL) // 2)


DAMAGE = {
    "flipped byte": (flip_a_byte, "rootfs.tar.gz differs from the sha256 recorded when it was built"),
    "truncated": (truncate, "rootfs.tar.gz differs from the sha256 recorded when it was built"),
    "deleted": (lambda entry: (entry / "rootfs.tar.gz").unlink(), "rootfs.tar.gz is missing"),
    "nested deleted": (
        lambda entry: (entry / "parts" / "packages.txt").unlink(),
        "parts/packages.txt is missing",
    ),
    "added": (
        lambda entry: (entry / "extra.bin").write_bytes(b"x"),
        "extra.bin is not among the files its build recorded",
    ),
    "meta edited": (
        lambda entry: (entry / "meta.json").write_text('{"packages": 2}'),
        "meta.json differs from the sha256 recorded when it was built",
    ),
    "sums deleted": (
        lambda entry: (entry / SUMS).unlink(),
        f"{SUMS} is missing, so its files cannot be checked",
    ),
    "sums emptied": (
        lambda entry: (entry / SUMS).write_text(""),
        "build.log is not among the files its build recorded",
    ),
    "sums garbled": (
        lambda entry: (entry / SUMS).write_bytes(b"\xff\xfe not sums"),
        (f"{SUMS} is unreadable: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
    ),
    "sums forged": (
        lambda entry: (entry / SUMS).write_text("abc  rootfs.tar.gz\n"),
        f'{SUMS} is unreadable: line 1 is not "<sha256>  <file>"',
    ),
}


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_entry_is_a_miss_said_once_then_built_again(tmp_path, entry, how):
    spoil, reason = DAMAGE[how]
    spoil(entry)
    assert damage(entry) == reason
    recipe, warnings = rootfs_recipe(), []
    artifact = produce(tmp_path, recipe, warnings)
    assert (artifact.status, artifact.path, recipe.built) == ("built", entry, 1)
    line = f"warning: the cached rootfs k1 is damaged ({reason}); building it again: {entry}"
    assert warnings == [line]
    said = [said for said in (tmp_path / "rootfs.log").read_text().splitlines() if "warning" in said]
    assert len(said) == 1 and said[0].startswith("[quill ") and said[0].endswith(f"] {line}")
    assert damage(entry) == "" and (entry / "rootfs.tar.gz").read_bytes() == TARBALL
    assert cache_files(tmp_path) == ["rootfs", "rootfs/k1.lock"]  # nothing left beside it


def test_a_forced_rebuild_is_no_damage_to_warn_about(tmp_path, entry):
    flip_a_byte(entry)
    recipe, warnings = rootfs_recipe(), []
    artifact = produce(tmp_path, recipe, warnings, rebuild=True)
    assert (artifact.status, recipe.built, warnings) == ("built", 1, [])
    assert damage(entry) == ""
