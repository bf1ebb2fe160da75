"""A remote engine's changes (out.tar) applied here by transfer.unpack, the
function ArchiveRunner._fetch calls, as a hostile engine could send them.

Each member lands inside the unit that holds it or the whole apply stops with
one line (BenchError) naming the archive, the member and why; device nodes and
FIFOs are skipped, setuid bits and foreign owners dropped; links a build makes
(Kbuild's absolute `source`) are kept. Nothing outside the units changes."""

from __future__ import annotations

import io
import os
import re
import stat
import tarfile
from pathlib import Path

import pytest

from pytest_quill.engine.backends import transfer
from pytest_quill.errors import BenchError
from tests.support.hostile_tar import Member, listing, sentinel, write_tar


@pytest.fixture
def outside(tmp_path):
    return sentinel(tmp_path / "outside")


@pytest.fixture
def unit(tmp_path):
    folder = tmp_path / "cache" / "work" / "unit"
    (folder / "build").mkdir(parents=True)
    return folder


def named(path: Path) -> str:
    """A member's name as the engine's `tar -C /` stores it."""
    return str(path).lstrip("/")


def apply(tmp_path: Path, members: list[Member], units: list[Path]) -> int:
    with tarfile.open(write_tar(tmp_path / "out.tar", members)) as changes:
        return transfer.unpack(changes, units)


# (case, the members (given the unit and the sentinel), what the line says of the member)
REFUSED = [
    (
        "a member outside every unit",
        lambda u, o: [Member(named(o / "pwned"))],
        r"'{o}/pwned' would be extracted to '/{o}/pwned', which is outside the destination",
    ),
    (
        "a unit's path with .. out of it",
        lambda u, o: [Member(named(u) + "/../../../outside/pwned")],
        r"would be extracted to '/{o}/pwned', which is outside the destination",
    ),
    (
        "a link out, then a file through it",
        lambda u, o: [Member(named(u / "evil"), "symlink", link=str(o)), Member(named(u / "evil" / "pwned"))],
        r"'{u}/evil/pwned' would be extracted to '/{o}', which is outside",
    ),
    (
        "a hard link to a file outside",
        lambda u, o: [Member(named(u / "h"), "hardlink", link=named(o / "secret"))],
        r"'h' would link to '/{o}/secret', which is outside the destination",
    ),
    (
        "the unit itself made a link",
        lambda u, o: [Member(named(u), "symlink", link=str(o)), Member(named(u / "pwned"))],
        r"'{u}' would link to '/{o}', which is outside the destination",
    ),
]


@pytest.mark.parametrize("members, why", [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_a_member_that_would_land_outside_its_unit_stops_the_apply_in_one_line(
    tmp_path, unit, outside, members, why
):
    before = listing(outside)
    with pytest.raises(BenchError) as error:
        apply(tmp_path, members(unit, outside), [unit])
    line = error.value.one_line()
    assert line == error.value.message
    assert line.startswith(f"{transfer.ENGINE_CHANGES}: member refused: ")
    assert re.search(why.format(u=re.escape(named(unit)), o=re.escape(named(outside))), line), line
    assert listing(outside) == before
    assert not (unit / "pwned").exists()


def test_a_link_left_here_by_an_earlier_command_is_never_written_through(tmp_path, unit, outside):
    (unit / "old").symlink_to(outside)
    before = listing(outside)
    with pytest.raises(BenchError, match="unit/old/secret' would be extracted to .*outside'"):
        apply(tmp_path, [Member(named(unit / "old" / "secret"))], [unit])
    assert listing(outside) == before


# (case, the member, what holds after it was applied (or skipped))
SAFE = [
    (
        "a device node is skipped",
        lambda u: Member(named(u / "null"), "char"),
        lambda u, count: count == 0 and not os.path.lexists(u / "null"),
    ),
    (
        "a block device is skipped",
        lambda u: Member(named(u / "sda"), "block"),
        lambda u, count: count == 0 and not os.path.lexists(u / "sda"),
    ),
    (
        "a FIFO is skipped",
        lambda u: Member(named(u / "fifo"), "fifo"),
        lambda u, count: count == 0 and not os.path.lexists(u / "fifo"),
    ),
    (
        "a setuid file keeps no setuid bit",
        lambda u: Member(named(u / "su"), mode=0o6755),
        lambda u, count: stat.S_IMODE((u / "su").stat().st_mode) == 0o755,
    ),
    (
        "a file of uid 1234 is the runner's",
        lambda u: Member(named(u / "x.o"), uid=1234),
        lambda u, count: (u / "x.o").stat().st_uid == os.geteuid(),
    ),
    (
        "an absolute link a build makes is kept",
        lambda u: Member(named(u / "build/source"), "symlink", link="/usr/src/linux"),
        lambda u, count: os.readlink(u / "build/source") == "/usr/src/linux",
    ),
    (
        "a hard link inside the unit is made",
        lambda u: Member(named(u / "build/copy"), "hardlink", link=named(u / "build/vmlinux")),
        lambda u, count: (u / "build/copy").stat().st_ino == (u / "build/vmlinux").stat().st_ino,
    ),
]


@pytest.mark.parametrize("member, holds", [case[1:] for case in SAFE], ids=[case[0] for case in SAFE])
def test_a_member_applied_harmlessly_changes_nothing_outside(tmp_path, unit, outside, member, holds):
    (unit / "build/vmlinux").write_bytes(b"ELF")
    before = listing(outside)
    count = apply(tmp_path, [member(unit)], [unit])
    assert holds(unit, count)
    assert listing(outside) == before


def test_a_link_to_outside_is_replaced_by_the_next_build_s_link(tmp_path, unit, outside):
    """Kbuild makes build/source again on every build: the old link is replaced."""
    (unit / "build/source").symlink_to(outside)
    before = listing(outside)
    assert apply(tmp_path, [Member(named(unit / "build/source"), "symlink", link="/cache/tree")], [unit]) == 1
    assert os.readlink(unit / "build/source") == "/cache/tree"
    assert listing(outside) == before


def test_a_file_hard_linked_to_one_outside_is_replaced_not_written(tmp_path, unit, outside):
    os.link(outside / "secret", unit / "config")
    before = listing(outside)
    apply(tmp_path, [Member(named(unit / "config"), data=b"rebuilt\n")], [unit])
    assert (unit / "config").read_bytes() == b"rebuilt\n"
    assert (outside / "secret").read_text() == "keep me\n"
    assert {k: v[:4] + v[5:] for k, v in listing(outside).items()} == {
        k: v[:4] + v[5:] for k, v in before.items()
    }  # all but the link count


def test_a_file_comes_back_with_its_nanosecond_mtime(tmp_path, unit):
    info = Member(named(unit / "build/x.o")).info()
    info.pax_headers = {"mtime": "1700000000.123456789"}
    with tarfile.open(tmp_path / "out.tar", "w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(info, io.BytesIO(b"pwned\n"))
    with tarfile.open(tmp_path / "out.tar") as changes:
        assert transfer.unpack(changes, [unit]) == 1
    assert (unit / "build/x.o").stat().st_mtime_ns == 1700000000123456789
