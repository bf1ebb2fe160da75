"""The kernel tree the recipe builds from: a copy of the user's sources in a
workspace (task A1; kernel/integration.py puts the modules into it).

The user's tree is never edited: a Debian source tarball or a tarball given
as kernel.source is unpacked once into the workspace, a path is copied (hard
links where possible, and every edit replaces a file by rename, so a linked
inode is never written), a git URL is cloned. A relative path (tree or
tarball) is taken from the project root. Integration is recomputed from the
saved originals every time, so applying it twice changes nothing and a new
kconfig_parent undoes the old one (integration.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from ..digest import file_sha256, tree_sha256
from ..engine.cache import default_cache
from ..engine.context import BuildContext
from ..errors import BuildError, InputError
from ..formats import unpack
from ..secrets import redact
from . import tarball

DEBIAN_PREFIX = "debian:"


def source_kind(source: str) -> str:
    if source.startswith(DEBIAN_PREFIX):
        return "debian"
    if tarball.is_tarball(source):
        return "tarball"
    if re.match(r"^(https?|git|ssh)://|^git@|\.git(#.*)?$", source):
        return "git"
    return "path"


def debian_tarball(source: str) -> Path:
    package = source[len(DEBIAN_PREFIX) :]
    return Path("/usr/src") / f"{package}.tar.xz"


def local_source(source: str, root: Path | None = None) -> Path:
    """A path source (tree or tarball): a relative one is taken from ROOT, the
    project root (default: the working folder, where pytest runs)."""
    return (Path(root or Path.cwd()) / source).resolve()


def source_mounts(source: str, root: Path | None = None) -> list[Path]:
    """What a container must see of the sources: the Debian tarball's folder, the
    given tarball's folder, or the tree."""
    kind = source_kind(source) if source else None
    if kind == "debian":
        return [debian_tarball(source).parent]
    if kind in ("path", "tarball") and local_source(source, root).exists():
        path = local_source(source, root)
        return [path.parent if kind == "tarball" else path]
    return []


def source_identity(source: str, root: Path | None = None) -> dict[str, Any]:
    """What names the exact sources: package version and tarball stamp, a given
    tarball's sha256, the tree's git revision (plus a hash of uncommitted
    changes), or the URL."""
    if not source:
        raise InputError(
            "kernel.source is empty: give a tree path, a .tar.xz/.tar.gz of "
            "one, or a git URL (--quill-set kernel.source=...)"
        )
    kind = source_kind(source)
    if kind == "debian":
        return _debian_identity(source)
    if kind == "git":
        return {"kind": "git", "url": redact(source)}  # recorded: never its token
    path = local_source(source, root)
    if not path.exists():
        relative = (
            ""
            if Path(source).is_absolute()
            else f" (a relative kernel.source is taken from the project root {root or Path.cwd()})"
        )
        raise InputError(f"kernel.source {source}: {path} does not exist{relative}")
    if kind == "tarball":
        if not path.is_file():
            raise InputError(f"kernel.source {source}: {path} is not a file")
        return {"kind": "tarball", "name": path.name, "sha256": file_sha256(path)}
    return _path_identity(path)


def _debian_identity(source: str) -> dict[str, Any]:
    package = source[len(DEBIAN_PREFIX) :]
    tarball = debian_tarball(source)
    if not tarball.is_file():
        raise InputError(f"kernel.source {source}: {tarball} is missing (apt-get install {package})")
    version = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True, text=True
    ).stdout.strip()
    stat = tarball.stat()
    return {
        "kind": "debian",
        "package": package,
        "version": version,
        "tarball": str(tarball),
        "size": stat.st_size,
        "mtime": int(stat.st_mtime),
    }


def _path_identity(tree: Path) -> dict[str, Any]:
    """A tree by its content: in git, the revision, the uncommitted changes and the
    untracked files' bytes (what .gitignore leaves out is not source); else every
    file's bytes (read again only when its stat changed, digest.tree_sha256)."""
    if not (tree / "Makefile").is_file():
        raise InputError(f"kernel.source {tree}: not a kernel tree (no Makefile)")
    git = ["git", "-C", str(tree)]
    rev = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True)
    if rev.returncode != 0:
        memo = (
            Path(default_cache())
            / "source-digests"
            / f"{hashlib.sha256(str(tree.resolve()).encode()).hexdigest()[:20]}.json"
        )
        return {"kind": "path", "path": str(tree.resolve()), "content": tree_sha256(tree, memo)}
    changes = hashlib.sha256(subprocess.run(git + ["diff", "HEAD", "--binary"], capture_output=True).stdout)
    untracked = subprocess.run(
        git + ["ls-files", "-z", "--others", "--exclude-standard"], capture_output=True
    ).stdout.split(b"\0")
    for name in sorted(filter(None, untracked)):
        path = tree / os.fsdecode(name)
        content = os.readlink(path) if path.is_symlink() else file_sha256(path)
        changes.update(name + b"\0" + content.encode())
    return {
        "kind": "path",
        "path": str(tree.resolve()),
        "rev": rev.stdout.strip(),
        "dirty": changes.hexdigest()[:16],
    }


def tree_label(identity: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]
    name = (
        identity.get("package") or identity.get("name") or Path(identity.get("path") or identity["url"]).name
    )
    return f"{re.sub(r'[^A-Za-z0-9._-]', '_', name)}-{digest}"


def prepare_tree(ctx: BuildContext, source: str, identity: dict[str, Any], workspace: Path) -> Path:
    """The workspace's copy of the sources, made once in a scratch folder (removed
    however the making ends: a half-extracted tree never stays) and published by
    rename."""
    tree = workspace / "tree"
    if tree.is_dir():
        ctx.note(f"kernel tree reused: {tree}")
        return tree
    kind = identity["kind"]
    with ctx.scratch(str(workspace.relative_to(ctx.work_root))) as staging:
        if kind in ("debian", "tarball"):
            packed = identity["tarball"] if kind == "debian" else str(local_source(source, ctx.project_root))
            ctx.note(f"kernel.source {source}: unpacking {packed}")
            if kind == "debian":
                # A file of an installed Debian package (apt checked it): GNU tar, 3x faster.
                ctx.run(
                    ["tar", "-xf", packed, "-C", str(staging), "--no-same-owner", "--no-same-permissions"],
                    cwd=workspace,
                )
            else:
                # The user's tarball, not by tar: only tarfile's data filter refuses
                # device nodes and FIFOs.
                unpack.unpack(Path(packed), staging, f"kernel.source {source}")
            top = tarball.find_top(staging)
            if top is None:
                raise BuildError(
                    f"kernel.source {source}: no kernel tree in {packed} (no "
                    f"folder with a Makefile, arch/ and Kconfig or Kbuild)",
                    log=str(ctx.log_path),
                )
            ctx.note(f"kernel top folder: {top.relative_to(staging)}")
        elif kind == "git":
            url, _, ref = source.partition("#")
            top = staging / "src"
            ctx.run(["git", "clone", "--quiet", url, str(top)], cwd=workspace)
            if ref:
                ctx.run(["git", "-C", str(top), "checkout", "--quiet", ref], cwd=workspace)
        else:
            top, given = staging / "src", str(local_source(source, ctx.project_root))
            if ctx.run(["cp", "-al", given, str(top)], cwd=workspace, check=False) != 0:
                shutil.rmtree(top, ignore_errors=True)
                ctx.run(["cp", "-a", given, str(top)], cwd=workspace)
        os.replace(top, tree)
    return tree
