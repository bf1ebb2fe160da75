"""The SquireOS integration of a kernel tree (task A1): the modules' folder as
drivers/squireos, its Kconfig sourced from the file ARCH really reads
(kconfig_parent), its Makefile line in drivers/Makefile.

Integration is recomputed from the saved originals every time, so applying it
twice changes nothing and a new kconfig_parent undoes the old one. Every edit
replaces a file by rename and never follows a link out of the tree.
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
from pathlib import Path
from typing import Any

from ..errors import InputError

MODULES_REL = "drivers/squireos"
MAKEFILE_REL = "drivers/Makefile"
SOURCE_LINE = f'source "{MODULES_REL}/Kconfig"'
MAKEFILE_LINE = "obj-$(CONFIG_SQUIREOS)\t\t+= squireos/"


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
        raise InputError(
            f"kernel tree {tree}: {rel} leads out of the tree (to {resolved}, "
            f"through a symlink or '..'); the integration never reads or writes "
            f"outside it: make it a file of the tree in kernel.source"
        )
    return path


def _write_if_changed(path: Path, text: str) -> bool:
    """Replace by rename (a hard-linked original stays untouched, a link is
    replaced, never written through); keep the mtime when nothing changes, so
    make stays incremental."""
    if not path.is_symlink() and path.is_file() and path.read_text(errors="surrogateescape") == text:
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


def integrate(tree: Path, originals: Path, modules_src: Path, kconfig_parent: str) -> dict[str, Any]:
    """Put drivers/squireos into the tree and make ARCH's Kconfig and the
    drivers Makefile reach it. Idempotent; never reads or writes through a link
    out of the tree."""
    if not in_tree(tree, kconfig_parent).is_file():
        raise InputError(f"kernel.kconfig_parent {kconfig_parent}: no such file in {tree}")
    edits = TreeEdits(tree, originals)
    wanted = {
        kconfig_parent: with_source_line(edits.original(kconfig_parent)),
        MAKEFILE_REL: with_makefile_line(edits.original(MAKEFILE_REL)),
    }
    changed = edits.apply(wanted) + sync_dir(modules_src, _own_folder(tree, MODULES_REL))
    return {
        "kconfig_parent": kconfig_parent,
        "makefile": MAKEFILE_REL,
        "source_line": SOURCE_LINE,
        "makefile_line": MAKEFILE_LINE,
        "modules_dir": MODULES_REL,
        "edited": sorted(wanted),
        "changed": changed,
    }


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
        if (
            target.is_symlink()
            or not target.is_file()
            or not filecmp.cmp(source / name, target, shallow=False)
        ):
            # A fresh mtime: make must see the file as newer than any old object.
            temporary = dest / f"{name}.quill-new"
            temporary.unlink(missing_ok=True)
            shutil.copyfile(source / name, temporary)
            os.replace(temporary, target)
            changed.append(f"{dest.name}/{name}")
    for stale in dest.iterdir():
        if (stale.is_symlink() or stale.is_file()) and stale.name not in wanted and _is_source(stale):
            stale.unlink()  # a link itself, never what it points at
            changed.append(f"{dest.name}/{stale.name}")
    return changed


def _is_source(path: Path) -> bool:
    return path.suffix in (".c", ".h") or path.name in ("Kconfig", "Makefile", "Kbuild")
