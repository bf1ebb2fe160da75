"""Archives from outside (a kernel source tarball, an image's export, a remote
engine's changes), unpacked so that no member lands outside its destination or
makes a later write do so.

The refusing is the standard library's (PEP 706): its "data" filter drops a
leading "/", refuses `..` that leaves the destination, links to absolute paths
or out of the destination, device nodes and FIFOs, and any member whose path
passes through a link already on disk that leads out; it keeps no owner and
no setuid, setgid or sticky bit, also when run as root. A refusal is one line
naming the archive, the member and why. (Its checks are whole from Python
3.11.13, 3.12.11 and 3.13.4 on: CVE-2025-4517 and its siblings.)
"""

from __future__ import annotations

import gzip
import lzma
import tarfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import InputError, QuillError

Filter = Callable[[tarfile.TarInfo, str], "tarfile.TarInfo | None"]
# None unsets a field, as the standard filters do (typeshed types these fields as set only).
NO_OWNER: dict[str, Any] = {"uid": None, "gid": None, "uname": None, "gname": None}
# What a truncated or foreign file raises while it is read as a tar archive.
UNREADABLE = (
    tarfile.ReadError,
    tarfile.CompressionError,
    EOFError,
    lzma.LZMAError,
    zlib.error,
    gzip.BadGzipFile,
)


def unpack(
    archive: Path,
    dest: Path,
    what: str,
    member_filter: Filter = tarfile.data_filter,
    members: Callable[[tarfile.TarInfo], bool] = lambda member: True,
    error: type[QuillError] = InputError,
    log: str | None = None,
) -> None:
    """Unpack ARCHIVE into DEST (the members MEMBERS keeps); WHAT names the archive
    in an ERROR (e.g. "kernel.source nst.tar.xz"). A refusal can leave members
    already unpacked: DEST is a scratch folder its caller removes."""
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(dest, members=(m for m in tar if members(m)), filter=member_filter)
    except tarfile.FilterError as exc:
        raise error(refusal(f"{what} ({archive})", exc), log=log) from None
    except UNREADABLE as exc:
        raise error(
            f"{what} ({archive}): not a whole tar archive ({exc}): truncated, or not a tar file", log=log
        ) from None


def refusal(what: str, exc: tarfile.FilterError) -> str:
    """One line: the archive, the member, why it is refused."""
    return f"{what}: member refused: {exc}"


def tree_filter(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo:
    """The data filter, with what a tree made elsewhere (an image's root
    filesystem, a remote engine's outputs) legitimately holds: the permission
    bits of folders (/tmp 1777, /root 0700) and files, without setuid or setgid;
    and symlinks to anywhere (/bin/ls -> /bin/busybox, Kbuild's source -> the
    tree): they mean something where the tree is used, not here. Only a link's
    name is checked (the "tar" filter): tarfile resolves every later member's
    path through the links already unpacked, so nothing is written through one."""
    if member.issym():
        return tarfile.tar_filter(member, dest).replace(**NO_OWNER, deep=False)
    safe = tarfile.data_filter(member, dest)
    if member.isdir() or member.isreg():
        return safe.replace(mode=member.mode & (0o1777 if member.isdir() else 0o777), deep=False)
    return safe
