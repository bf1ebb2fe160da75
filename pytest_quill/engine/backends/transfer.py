"""A command's files, sent to an engine that cannot see them and fetched back.

The paths a command's argv names (absolute arguments and NAME=/path ones,
under one of the backend's roots) and its working folder are its units: the
engine keeps a copy of each root in a named volume, mounted at the same path,
so argv and cwd mean what they mean here. Before the command, the units are
mirrored there (files whose type, size or mtime differ are sent; files gone
here are deleted there); after it, what the command changed (ctime newer than
a marker, so unpacked tarballs count too) comes back as one tar, and what it
deleted is deleted here. Nothing else of this machine is seen by the engine.
Paths in the environment are not sent: they live on in the engine's volume
(CCACHE_DIR: the engine keeps its own compile cache there). Nor are paths in a
`sh -c` script's text: such a script is refused (unsent_in_script) unless what
it names is sent anyway, as the recipes pass their paths as "$1"...
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import shutil
import stat
import tarfile
from pathlib import Path
from typing import BinaryIO

from ...errors import BenchError
from ...formats import unpack as unpack_files

STATE = "/.quill-transfer"  # in the container's own layer, never in a volume
ENGINE_CHANGES = "the remote engine's changes (out.tar)"
_PATH = re.compile(r"(?:^|=)(/[^\s=:]+)")
_SHELLS = ("sh", "bash", "dash")
_PATH_START = r"""(?<![^\s'"=:;|&<>()])"""  # a path's text starts at a word's start
_PATH_REST = r"""(?=/|[\s'":;|&<>()]|$)[^\s'":;|&<>()]*"""  # and ends at shell syntax
_SAME_MTIME_NS = 1000  # float rounding on either side: a microsecond is the same time
# A path as both sides list it: (type "d", "l" or "f", size, mtime_ns, link target).
Entry = tuple[str, int, int, str]
Listing = dict[str, Entry]
# sh WRAPPER sh CWD ARGV...: the command's output is the container's; then the
# changes it made go to STATE/out.tar and the paths left to STATE/after.
WRAPPER = r"""T=/.quill-transfer
cd "$1" 2>/dev/null || { mkdir -p "$1" && cd "$1"; } || exit 125
shift
if [ -s $T/delete ]; then xargs -0 -r rm -rf -- < $T/delete; fi
touch $T/marker && sleep 0.05
"$@" 2>&1
code=$?
xargs -0 -r sh -c 'find "$@" -cnewer /.quill-transfer/marker -print0' sh \
    < $T/units > $T/changed 2>/dev/null
tar -C / --null --no-recursion --format=posix -cf $T/out.tar -T $T/changed 2>$T/tar.err
xargs -0 -r sh -c 'find "$@" -print0' sh < $T/units > $T/after 2>/dev/null
exit $code
"""
# sh LIST sh UNITS...: each unit's entries, as parse_listing() reads them, in a file
# (a log would split its one long line).
LISTING = "/tmp/quill-listing"
LIST = r"""find "$@" -printf '%y\t%s\t%T@\t%l\t%p\0' > /tmp/quill-listing 2>/dev/null; exit 0"""


def units_of(argv: list[str], roots: list[Path]) -> list[Path]:
    """The outermost existing paths under a root (a root itself is never a unit:
    it is a whole project or cache) that argv names."""
    found = set()
    for text in argv:
        for match in _PATH.finditer(text):
            unit = _existing(Path(os.path.normpath(match.group(1))))
            if any(unit != root and unit.is_relative_to(root) for root in roots):
                found.add(unit)
    return [u for u in sorted(found) if not any(o != u and u.is_relative_to(o) for o in found)]


def unsent_in_script(argv: list[str], roots: list[Path], units: list[Path]) -> list[str]:
    """The paths under a root that the script of `sh -c SCRIPT ...` names in its
    text and that no unit holds: the engine would see its volume's stale copy."""
    if len(argv) < 3 or os.path.basename(argv[0]) not in _SHELLS or not _runs_text(argv[1]):
        return []
    unsent = []
    for root in roots:
        # The root's own text, then the rest of the path up to a quote or shell syntax.
        for match in re.finditer(_PATH_START + re.escape(str(root)) + _PATH_REST, argv[2]):
            path = Path(os.path.normpath(match.group(0)))
            if not any(path.is_relative_to(unit) for unit in units):
                unsent.append(str(path))
    return unsent


def _runs_text(flag: str) -> bool:
    """-c, -ec, -euc...: the shell runs its next argument as a script."""
    return flag.startswith("-") and not flag.startswith("--") and "c" in flag


def _existing(path: Path) -> Path:
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    return path


def _entry(path: str) -> Entry | None:
    """(type, size, mtime_ns, link target) as both sides list them; None: not sent."""
    info = os.lstat(path)
    if stat.S_ISDIR(info.st_mode):
        return ("d", 0, 0, "")
    if stat.S_ISLNK(info.st_mode):
        return ("l", 0, 0, os.readlink(path))
    if stat.S_ISREG(info.st_mode):
        return ("f", info.st_size, info.st_mtime_ns, "")
    return None  # fifos, sockets, devices: nothing a build leaves for the next step


def host_listing(units: list[Path]) -> Listing:
    listing: dict[str, Entry | None] = {}
    for unit in units:
        listing[str(unit)] = entry = _entry(str(unit))
        if entry is None or entry[0] != "d":
            continue
        for folder, folders, files in os.walk(unit):
            for name in folders + files:
                path = os.path.join(folder, name)
                listing[path] = _entry(path)
    return {path: entry for path, entry in listing.items() if entry is not None}


def parse_listing(raw: bytes) -> Listing:
    """find -printf '%y\\t%s\\t%T@\\t%l\\t%p\\0' output, as host_listing() gives it."""
    listing: dict[str, Entry | None] = {}
    for record in raw.decode(errors="surrogateescape").split("\0"):
        if record.count("\t") < 4:
            continue
        kind, size, mtime, link, path = record.split("\t", 4)
        seconds, _, fraction = mtime.partition(".")
        mtime_ns = int(seconds) * 10**9 + int(fraction[:9].ljust(9, "0"))
        listing[path] = {
            "d": ("d", 0, 0, ""),
            "l": ("l", 0, 0, link),
            "f": ("f", int(size), mtime_ns, ""),
        }.get(kind)
    return {path: entry for path, entry in listing.items() if entry is not None}


def same(here: Entry, there: Entry | None) -> bool:
    if there is None or here[0] != there[0] or here[1] != there[1] or here[3] != there[3]:
        return False
    return abs(here[2] - there[2]) <= _SAME_MTIME_NS


def pack(out: BinaryIO, sent: list[str], units: list[Path], delete: list[str]) -> None:
    """The tar put at / before the command: the state folder (the units, what to
    delete), the units' parent folders (owners and modes as here), the files SENT."""
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add_bytes(tar, STATE, None)
        _add_bytes(tar, f"{STATE}/units", b"".join(f"{u}\0".encode() for u in units))
        _add_bytes(tar, f"{STATE}/delete", b"".join(f"{p}\0".encode() for p in delete))
        parents = sorted({str(p) for u in units for p in u.parents if p != p.parent})
        for path in parents + sorted(sent):
            info = tar.gettarinfo(path, arcname=path.lstrip("/"))
            if info.isreg():
                _exact_mtime(info, os.lstat(path).st_mtime_ns)
                with open(path, "rb") as data:
                    tar.addfile(info, data)
            else:
                tar.addfile(info)


def _add_bytes(tar: tarfile.TarFile, path: str, data: bytes | None) -> None:
    info = tarfile.TarInfo(path.lstrip("/"))
    if data is None:
        info.type, info.mode = tarfile.DIRTYPE, 0o1777
    else:
        info.size, info.mode = len(data), 0o666
    tar.addfile(info, io.BytesIO(data) if data is not None else None)


def _exact_mtime(info: tarfile.TarInfo, mtime_ns: int) -> None:
    """The pax mtime to the nanosecond (tarfile would write a rounded float)."""
    info.mtime = mtime_ns // 10**9
    info.pax_headers = {**info.pax_headers, "mtime": f"{mtime_ns // 10**9}.{mtime_ns % 10**9:09d}"}


def unpack(changes: tarfile.TarFile, units: list[Path]) -> int:
    """Apply the command's changes here, each member inside the unit that holds
    it and nowhere else: named from that unit, the destination of the data
    filter (links may point anywhere, as a build makes them, but nothing is
    written through one). Device nodes and FIFOs are skipped: they are never
    sent either. The count applied; BenchError for a member no command could
    have sent."""
    applied = 0
    for member in changes:
        try:
            applied += _apply(changes, member, units)
        except tarfile.FilterError as exc:
            raise BenchError(unpack_files.refusal(ENGINE_CHANGES, exc)) from None
    return applied


def _apply(changes: tarfile.TarFile, member: tarfile.TarInfo, units: list[Path]) -> int:
    local, dest = _in_its_unit(member, units)
    path = dest / local.name
    folder = os.path.realpath(path.parent)
    if not Path(folder).is_relative_to(os.path.realpath(dest)):
        raise tarfile.OutsideDestinationError(member, folder)
    if _special(local):
        return 0
    if not local.isdir() and os.path.lexists(path) and (os.path.islink(path) or not path.is_dir()):
        path.unlink()  # never written in place or through: a hard link, an earlier link
    changes.extract(local, dest, filter=_from_engine)
    mtime = member.pax_headers.get("mtime")
    if mtime and not member.issym():
        seconds, _, fraction = mtime.partition(".")
        ns = int(seconds) * 10**9 + int(fraction[:9].ljust(9, "0"))
        os.utime(path, ns=(ns, ns), follow_symlinks=False)
    return 1


def _in_its_unit(member: tarfile.TarInfo, units: list[Path]) -> tuple[tarfile.TarInfo, Path]:
    """MEMBER named from its unit (from the unit's parent for the unit itself);
    FilterError for one outside every unit, or one that would make a unit a link."""
    path = Path(posixpath.normpath("/" + member.name))
    unit = next((unit for unit in units if path.is_relative_to(unit)), None)
    if unit is None:
        raise tarfile.OutsideDestinationError(member, str(path))
    if path == unit and member.issym():  # every later member would land where it points
        raise tarfile.LinkOutsideDestinationError(member, member.linkname)
    dest = unit if path != unit else unit.parent
    name = str(path.relative_to(dest))
    if member.islnk():  # a hard link's target is named from the archive's root, /
        linkname = os.path.relpath(posixpath.normpath("/" + member.linkname), dest)
        return member.replace(name=name, linkname=linkname, deep=False), dest
    return member.replace(name=name, deep=False), dest


def _from_engine(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    return None if _special(member) else unpack_files.tree_filter(member, dest)


def _special(member: tarfile.TarInfo) -> bool:
    return member.ischr() or member.isblk() or member.isfifo()


def remove_gone(before: Listing, after: set[str]) -> None:
    """What the command deleted there: deleted here (deepest first)."""
    for path in sorted(set(before) - after, reverse=True):
        if before[path][0] == "d" and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            os.unlink(path)
