"""Disk full during a build: one line naming the path and the space, the bench's
problem (BenchError), and nothing left behind: the staging folder and scratch
trees are removed. A real full disk is a 2 MiB tmpfs (skipped without mount);
the rest is simulated by a write that raises ENOSPC."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import pytest

from pytest_quill.engine import cache as cache_module
from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.cache import Cache
from pytest_quill.engine.context import BuildContext
from pytest_quill.engine.meta import NoMeta
from pytest_quill.engine.produce import build_or_reuse
from pytest_quill.engine.space import disk_full_line, size
from pytest_quill.errors import BenchError
from pytest_quill.profile import load_profile
from tests.support.mounts import tmpfs
from tests.support.recipes import Recipe

PROJECT = Path(__file__).resolve().parents[2]
MIB = 1 << 20


class Filler(Recipe):
    """Writes BYTES into its output, in Python or with a tool."""

    def __init__(self, megabytes: int, tool: bool = False):
        super().__init__()
        self.megabytes, self.tool = megabytes, tool

    def build(self, ctx):
        self.built += 1
        if self.tool:
            ctx.run(["sh", "-c", f"head -c {self.megabytes * MIB} /dev/zero > big"])
        else:
            with open(ctx.out / "big", "wb") as out:
                for _ in range(self.megabytes):
                    out.write(bytes(MIB))
        return NoMeta()


def produce(cache_root: Path, recipe, log: Path, work: Path):
    return build_or_reuse(
        recipe,
        "k1",
        profile=load_profile("qemu-virt"),
        backend=HostBackend(),
        cache=Cache(cache_root),
        deps={},
        log=log,
        jobs=1,
        work_root=work,
        project_root=PROJECT,
    )


def leftovers(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.name.startswith((".staging-", ".scratch-", ".trash-"))
    )


def test_a_full_disk_in_a_python_write_names_the_path_and_the_space(tmp_path):
    with tmpfs(tmp_path / "small", size="2m") as small:
        recipe = Filler(4)
        with pytest.raises(BenchError) as caught:
            produce(small / "cache", recipe, tmp_path / "build.log", small / "work")
        line = caught.value.one_line()
        # A write to an open file names no file: the staging folder is the path.
        assert re.match(
            rf"disk full writing {small}/cache/sdcard/\.staging-k1-\d+-\w+: the "
            r"build had written [0-9.]+ (MiB|KiB) when the disk filled and needs "
            r"more; 2\.0 MiB free of 2\.0 MiB on "
            rf"{small} once its staging folder is removed \(log: .*build.log\)$",
            line,
        ), line
        assert leftovers(small) == []
        assert not (small / "cache" / "sdcard" / "k1").exists()
        free = os.statvfs(small)
        assert free.f_bavail * free.f_frsize > 1.5 * MIB  # the space is given back


def test_a_full_disk_under_a_tool_names_the_tools_line_and_the_space(tmp_path):
    with tmpfs(tmp_path / "small", size="2m") as small:
        with pytest.raises(BenchError) as caught:
            produce(small / "cache", Filler(4, tool=True), tmp_path / "build.log", small / "work")
        line = caught.value.one_line()
        assert re.match(
            r"disk full: .*No space left on device \([0-9.]+ (MiB|KiB|bytes) free "
            rf"of 2\.0 MiB on {small}, where {small}/cache/sdcard/\.staging-k1-",
            line,
        ), line
        assert leftovers(small) == []


def test_a_simulated_full_disk_is_said_and_cleaned_the_same_way(tmp_path, monkeypatch):
    def no_space(self, data, *args, **kwargs):
        if self.name == "meta.json":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real(self, data, *args, **kwargs)

    real = Path.write_text
    monkeypatch.setattr(Path, "write_text", no_space)
    recipe = Filler(1)
    with pytest.raises(BenchError) as caught:
        produce(tmp_path / "cache", recipe, tmp_path / "build.log", tmp_path / "work")
    assert re.match(
        rf"disk full writing {tmp_path}/cache/sdcard/\.staging-k1-\d+-\w+/meta\.json: "
        r"the build had written 1\.0 MiB when the disk filled and needs more; "
        r"[0-9.]+ \w+ free of [0-9.]+ \w+ on /\S* once its staging folder is removed$",
        caught.value.message,
    ), caught.value.message
    assert recipe.built == 1
    assert leftovers(tmp_path / "cache") == []


def test_a_full_disk_outside_the_staging_folder_still_names_the_path(tmp_path, monkeypatch):
    def no_space(path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(cache_module, "write_owner", no_space)
    with pytest.raises(
        BenchError,
        match=rf"^disk full writing {tmp_path}/cache/sdcard/"
        r"\.k1\.owner\.json: ",
    ):
        produce(tmp_path / "cache", Filler(1), tmp_path / "build.log", tmp_path / "work")


def test_other_os_errors_are_not_called_a_full_disk(tmp_path):
    class Refused(Recipe):
        def build(self, ctx):
            (ctx.out / "half").write_text("x")
            raise PermissionError(errno.EACCES, "Permission denied", "/somewhere")

    with pytest.raises(PermissionError):
        produce(tmp_path / "cache", Refused(), tmp_path / "build.log", tmp_path / "work")
    assert leftovers(tmp_path / "cache") == []


def context(tmp_path: Path) -> BuildContext:
    (tmp_path / "out").mkdir(exist_ok=True)
    return BuildContext(
        name="kernel",
        profile=load_profile("qemu-virt"),
        out=tmp_path / "out",
        log_path=tmp_path / "log",
        backend=HostBackend(),
        deps={},
        jobs=1,
        work_root=tmp_path / "work",
        project_root=PROJECT,
    )


def test_a_half_extracted_scratch_tree_is_removed_when_the_step_fails(tmp_path):
    ctx = context(tmp_path)
    with pytest.raises(BenchError), ctx.scratch("kernel-src") as scratch:
        (scratch / "linux" / "drivers").mkdir(parents=True)
        (scratch / "linux" / "drivers" / "half.c").write_text("int x;")
        raise BenchError("disk full writing linux/drivers/half.c")
    assert list((tmp_path / "work" / "kernel-src").iterdir()) == []


def test_a_scratch_tree_keeps_only_what_was_moved_out(tmp_path):
    ctx = context(tmp_path)
    with ctx.scratch("kernel-src") as scratch:
        (scratch / "linux").mkdir()
        (scratch / "junk").write_text("x")
        os.replace(scratch / "linux", ctx.workspace("kernel-src") / "tree")
    assert [p.name for p in (tmp_path / "work" / "kernel-src").iterdir()] == ["tree"]


def test_disk_full_line_for_a_path_that_is_gone(tmp_path):
    line = disk_full_line(tmp_path / "gone" / "file", said="cp: write error: No space left on device")
    assert line.startswith("disk full: cp: write error: No space left on device (")
    assert line.endswith(f", where {tmp_path}/gone/file is)")


@pytest.mark.parametrize(
    "count, text",
    [(0, "0 bytes"), (1023, "1023 bytes"), (1536, "1.5 KiB"), (5 * MIB, "5.0 MiB"), (3 << 30, "3.0 GiB")],
)
def test_sizes_are_said_in_binary_units(count, text):
    assert size(count) == text
