"""A kernel tree given as a path is identified by its content: a change that
keeps a file's size and mtime, an untracked file in a git tree, a new link,
each gives a new identity; nothing else does."""

from __future__ import annotations

import os
import subprocess

import pytest

from pytest_quill.kernel import tree as kernel_tree


def same_size_edit(path) -> None:
    """Other bytes, the same size and the same mtime: what a stat check misses."""
    stat = path.stat()
    text = path.read_bytes()
    path.write_bytes(text.swapcase())
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size


@pytest.fixture
def plain_tree(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    tree = tmp_path / "linux"
    (tree / "drivers").mkdir(parents=True)
    (tree / "Makefile").write_text("VERSION = 2\n")
    (tree / "drivers" / "uart.c").write_text("int uart;\n")
    return tree


def git(tree, *argv) -> None:
    subprocess.run(
        ["git", "-C", str(tree), "-c", "user.name=t", "-c", "user.email=t@t", *argv],
        check=True,
        capture_output=True,
    )


def test_a_plain_tree_changes_identity_with_content_not_with_stat(plain_tree):
    first = kernel_tree.source_identity(str(plain_tree))
    assert kernel_tree.source_identity(str(plain_tree)) == first
    same_size_edit(plain_tree / "drivers" / "uart.c")
    edited = kernel_tree.source_identity(str(plain_tree))
    assert edited["content"] != first["content"]
    (plain_tree / "drivers" / "uart.h").symlink_to("uart.c")
    assert kernel_tree.source_identity(str(plain_tree))["content"] != edited["content"]


def test_a_plain_trees_memo_is_kept_in_the_cache_and_never_trusted_over_content(plain_tree, tmp_path):
    kernel_tree.source_identity(str(plain_tree))
    (memo,) = (tmp_path / "xdg" / "pytest-quill" / "source-digests").iterdir()
    first = kernel_tree.source_identity(str(plain_tree))
    same_size_edit(plain_tree / "Makefile")  # its ctime moves: the memo is not used for it
    assert kernel_tree.source_identity(str(plain_tree)) != first
    memo.write_text("{not json")
    assert kernel_tree.source_identity(str(plain_tree)) != first


def test_a_git_tree_counts_uncommitted_and_untracked_content(plain_tree):
    git(plain_tree, "init", "-q")
    git(plain_tree, "add", "-A")
    git(plain_tree, "commit", "-q", "-m", "base")
    clean = kernel_tree.source_identity(str(plain_tree))
    (plain_tree / "drivers" / "new.c").write_text("int new;\n")
    untracked = kernel_tree.source_identity(str(plain_tree))
    assert untracked["rev"] == clean["rev"] and untracked["dirty"] != clean["dirty"]
    same_size_edit(plain_tree / "drivers" / "new.c")
    assert kernel_tree.source_identity(str(plain_tree))["dirty"] != untracked["dirty"]
    (plain_tree / ".gitignore").write_text("*.o\n")
    ignored = kernel_tree.source_identity(str(plain_tree))
    (plain_tree / "drivers" / "uart.o").write_bytes(b"\x7fELF")
    assert kernel_tree.source_identity(str(plain_tree)) == ignored
