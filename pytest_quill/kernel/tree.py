"""The kernel tree the recipe builds from: a copy of the user's sources in a
workspace, with the SquireOS integration applied (task A1).

The user's tree is never edited: a Debian source tarball or a tarball given
as kernel.source is unpacked once into the workspace, a path is copied (hard
links where possible, and every edit replaces a file by rename, so a linked
inode is never written), a git URL is cloned. A relative path (tree or
tarball) is taken from the project root. Integration is recomputed from the
saved originals every time, so applying it twice changes nothing and a new
kconfig_parent undoes the old one.
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from ..digest import file_sha256
from ..errors import BuildError, InputError
from ..formats import unpack
from . import tarball

DEBIAN_PREFIX = "debian:"
MODULES_REL = "drivers/squireos"
MAKEFILE_REL = "drivers/Makefile"
SOURCE_LINE = f'source "{MODULES_REL}/Kconfig"'
MAKEFILE_LINE = "obj-$(CONFIG_SQUIREOS)\t\t+= squireos/"


def source_kind(source: str) -> str:
    if source.startswith(DEBIAN_PREFIX):
        return "debian"
    if tarball.is_tarball(source):
        return "tarball"
    if re.match(r"^(https?|git|ssh)://|^git@|\.git(#.*)?$", source):
        return "git"
    return "path"


def debian_tarball(source: str) -> Path:
    package = source[len(DEBIAN_PREFIX):]
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


def source_identity(source: str, root: Path | None = None) -> dict:
    """What names the exact sources: package version and tarball stamp, a given
    tarball's sha256, the tree's git revision (plus a hash of uncommitted
    changes), or the URL."""
    if not source:
        raise InputError("kernel.source is empty: give a tree path, a .tar.xz/.tar.gz of "
                         "one, or a git URL (--quill-set kernel.source=...)")
    kind = source_kind(source)
    if kind == "debian":
        return _debian_identity(source)
    if kind == "git":
        return {"kind": "git", "url": source}
    path = local_source(source, root)
    if not path.exists():
        relative = "" if Path(source).is_absolute() else \
            f" (a relative kernel.source is taken from the project root {root or Path.cwd()})"
        raise InputError(f"kernel.source {source}: {path} does not exist{relative}")
    if kind == "tarball":
        if not path.is_file():
            raise InputError(f"kernel.source {source}: {path} is not a file")
        return {"kind": "tarball", "name": path.name, "sha256": file_sha256(path)}
    return _path_identity(path)


def _debian_identity(source: str) -> dict:
    package = source[len(DEBIAN_PREFIX):]
    tarball = debian_tarball(source)
    if not tarball.is_file():
        raise InputError(f"kernel.source {source}: {tarball} is missing "
                         f"(apt-get install {package})")
    version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package],
                             capture_output=True, text=True).stdout.strip()
    stat = tarball.stat()
    return {"kind": "debian", "package": package, "version": version,
            "tarball": str(tarball), "size": stat.st_size, "mtime": int(stat.st_mtime)}


def _path_identity(tree: Path) -> dict:
    if not (tree / "Makefile").is_file():
        raise InputError(f"kernel.source {tree}: not a kernel tree (no Makefile)")
    git = ["git", "-C", str(tree)]
    rev = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True)
    if rev.returncode == 0:
        diff = subprocess.run(git + ["diff", "HEAD"], capture_output=True).stdout
        return {"kind": "path", "path": str(tree.resolve()), "rev": rev.stdout.strip(),
                "dirty": hashlib.sha256(diff).hexdigest()[:16]}
    stat = (tree / "Makefile").stat()
    return {"kind": "path", "path": str(tree.resolve()),
            "makefile": hashlib.sha256((tree / "Makefile").read_bytes()).hexdigest()[:16],
            "mtime": int(stat.st_mtime)}


def tree_label(identity: dict) -> str:
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]
    name = (identity.get("package") or identity.get("name")
            or Path(identity.get("path") or identity["url"]).name)
    return f"{re.sub(r'[^A-Za-z0-9._-]', '_', name)}-{digest}"


def prepare_tree(ctx, source: str, identity: dict, workspace: Path) -> Path:
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
            packed = (identity["tarball"] if kind == "debian"
                      else str(local_source(source, ctx.project_root)))
            ctx.note(f"kernel.source {source}: unpacking {packed}")
            if kind == "debian":
                # A file of an installed Debian package (apt checked it): GNU tar, 3x faster.
                ctx.run(["tar", "-xf", packed, "-C", str(staging), "--no-same-owner",
                         "--no-same-permissions"], cwd=workspace)
            else:
                # The user's tarball, not by tar: only tarfile's data filter refuses
                # device nodes and FIFOs.
                unpack.unpack(Path(packed), staging, f"kernel.source {source}")
            top = tarball.find_top(staging)
            if top is None:
                raise BuildError(f"kernel.source {source}: no kernel tree in {packed} (no "
                                 f"folder with a Makefile, arch/ and Kconfig or Kbuild)",
                                 log=str(ctx.log_path))
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


class TreeEdits:
    """Edits of files of the tree, always derived from the saved originals."""

    def __init__(self, tree: Path, originals: Path):
        self.tree = tree
        self.originals = originals

    def original(self, rel: str) -> str:
        saved = self.originals / rel
        if not saved.is_file():
            saved.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(in_tree(self.tree, rel), saved)
        return saved.read_text(errors="surrogateescape")

    def apply(self, wanted: dict[str, str]) -> list[str]:
        """Make the tree hold `wanted` and the originals elsewhere; the files changed."""
        changed = []
        for saved in sorted(p for p in self.originals.rglob("*") if p.is_file()):
            rel = str(saved.relative_to(self.originals))
            if rel not in wanted:
                wanted_text = saved.read_text(errors="surrogateescape")
                changed += [rel] if _write_if_changed(in_tree(self.tree, rel), wanted_text) else []
        for rel, text in wanted.items():
            changed += [rel] if _write_if_changed(in_tree(self.tree, rel), text) else []
        return changed


def in_tree(tree: Path, rel: str) -> Path:
    """TREE/REL, refused (InputError) when it or a folder on its way is a link out
    of the tree: reading it would take a file from elsewhere, writing it would
    land elsewhere."""
    path = tree / rel
    resolved = path.resolve()
    if not resolved.is_relative_to(tree.resolve()):
        raise InputError(f"kernel tree {tree}: {rel} leads out of the tree (to {resolved}, "
                         f"through a symlink or '..'); the integration never reads or writes "
                         f"outside it: make it a file of the tree in kernel.source")
    return path


def _write_if_changed(path: Path, text: str) -> bool:
    """Replace by rename (a hard-linked original stays untouched, a link is
    replaced, never written through); keep the mtime when nothing changes, so
    make stays incremental."""
    if not path.is_symlink() and path.is_file() \
            and path.read_text(errors="surrogateescape") == text:
        return False
    temporary = path.with_name(path.name + ".quill-new")
    temporary.unlink(missing_ok=True)  # a link the sources put there is never written through
    temporary.write_text(text, errors="surrogateescape")
    if path.exists():
        shutil.copymode(path, temporary)
    os.replace(temporary, path)
    return True


def with_source_line(kconfig_text: str) -> str:
    """Source the SquireOS Kconfig inside the file's "Device Drivers" menu
    (ARM 2.6.29's arch/arm/Kconfig and 6.x's drivers/Kconfig both have one),
    else at its end."""
    lines = kconfig_text.splitlines()
    end = _device_drivers_end(lines)
    at = len(lines) if end is None else end
    return "\n".join(lines[:at] + ["", SOURCE_LINE, ""] + lines[at:]) + "\n"


def _device_drivers_end(lines: list[str]) -> int | None:
    depth = None
    for index, line in enumerate(lines):
        word = line.split()[0] if line.split() else ""
        if depth is None:
            if re.match(r'^\s*menu\s+"Device Drivers"', line):
                depth = 1
            continue
        depth += word == "menu"
        depth -= word == "endmenu"
        if depth == 0:
            return index
    return None


def with_makefile_line(makefile_text: str) -> str:
    return makefile_text.rstrip("\n") + f"\n{MAKEFILE_LINE}\n"


def integrate(tree: Path, originals: Path, modules_src: Path, kconfig_parent: str) -> dict:
    """Put drivers/squireos into the tree and make ARCH's Kconfig and the
    drivers Makefile reach it. Idempotent; never reads or writes through a link
    out of the tree."""
    if not in_tree(tree, kconfig_parent).is_file():
        raise InputError(f"kernel.kconfig_parent {kconfig_parent}: no such file in {tree}")
    edits = TreeEdits(tree, originals)
    wanted = {kconfig_parent: with_source_line(edits.original(kconfig_parent)),
              MAKEFILE_REL: with_makefile_line(edits.original(MAKEFILE_REL))}
    changed = edits.apply(wanted) + sync_dir(modules_src, _own_folder(tree, MODULES_REL))
    return {"kconfig_parent": kconfig_parent, "makefile": MAKEFILE_REL,
            "source_line": SOURCE_LINE, "makefile_line": MAKEFILE_LINE,
            "modules_dir": MODULES_REL, "edited": sorted(wanted), "changed": changed}


def _own_folder(tree: Path, rel: str) -> Path:
    """TREE/REL as a real folder of the tree: the integration's own, so a link or a
    file the sources have there is replaced (its parent must lie in the tree)."""
    folder = in_tree(tree, str(Path(rel).parent)) / Path(rel).name
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        folder.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sync_dir(source: Path, dest: Path) -> list[str]:
    """Mirror `source` into `dest`, writing only changed files (mtimes of the
    others stay, so only a touched module recompiles). A file is replaced by
    rename: a link in DEST is replaced, never written through, and a hard link
    to a user's file is never written in place."""
    dest.mkdir(parents=True, exist_ok=True)
    changed = []
    wanted = {p.name for p in source.iterdir() if p.is_file()}
    for name in sorted(wanted):
        target = dest / name
        if target.is_symlink() or not target.is_file() \
                or not filecmp.cmp(source / name, target, shallow=False):
            # A fresh mtime: make must see the file as newer than any old object.
            temporary = dest / f"{name}.quill-new"
            temporary.unlink(missing_ok=True)
            shutil.copyfile(source / name, temporary)
            os.replace(temporary, target)
            changed.append(f"{dest.name}/{name}")
    for stale in dest.iterdir():
        if (stale.is_symlink() or stale.is_file()) and stale.name not in wanted \
                and _is_source(stale):
            stale.unlink()  # a link itself, never what it points at
            changed.append(f"{dest.name}/{stale.name}")
    return changed


def _is_source(path: Path) -> bool:
    return path.suffix in (".c", ".h") or path.name in ("Kconfig", "Makefile", "Kbuild")
