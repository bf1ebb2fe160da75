"""The sha256 of a file, read in blocks, and of a whole tree: cache keys,
manifests, read-back checks."""

import hashlib
import json
import os
from pathlib import Path
from typing import Any

# path -> [[size, mtime_ns, ctime_ns, inode], sha256], as JSON keeps it
Memo = dict[str, list[Any]]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_sha256(root: Path, memo: Path | None = None) -> str:
    """The sha256 of a tree's content: every file's path, executable bits and
    bytes, every link's target. A file whose size, mtime, ctime and inode are
    those MEMO saw is not read again (git's stat cache: any write to a file
    changes its ctime, which no tool can set back)."""
    seen = _read_memo(memo)
    fresh: Memo = {}
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            entry = f"link {os.readlink(path)}"
        elif path.is_file():
            stat = path.stat()
            stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
            known = seen.get(rel)
            sha = known[1] if known and known[0] == stamp else file_sha256(path)
            fresh[rel] = [stamp, sha]
            entry = f"file {stat.st_mode & 0o111:o} {sha}"
        else:
            continue
        digest.update(f"{rel}\0{entry}\n".encode())
    _write_memo(memo, fresh)
    return digest.hexdigest()


def _read_memo(memo: Path | None) -> Memo:
    try:
        return json.loads(memo.read_text()) if memo else {}
    except (OSError, ValueError):
        return {}


def _write_memo(memo: Path | None, fresh: Memo) -> None:
    if memo is None:
        return
    try:  # whole or not at all; a read-only cache only costs the reading next time
        memo.parent.mkdir(parents=True, exist_ok=True)
        temporary = memo.with_name(f"{memo.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(fresh))
        os.replace(temporary, memo)
    except OSError:
        pass
