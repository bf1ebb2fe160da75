"""Toolchain compatibility as data: the patch files a profile names
(kernel.compat_patches, a folder; applied in name order) put into the
recipe's own copy of the tree, each exactly once.

A patch is applied when `patch -R --dry-run` says it is not there yet, after
a forward dry run proved it applies whole (a patch that does not apply leaves
the tree as it was, and the BuildError names the patch and the files patch
complained about). What this recipe applied is remembered beside the tree (a
copy of each patch), so a patch the profile no longer names is taken out
again; a patch the source already had is left alone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..digest import file_sha256
from ..engine.context import BuildContext
from ..errors import BuildError, InputError

RECORD = "applied.json"  # in the record folder, beside the copies of what was applied
# Context must match exactly (an offset is fine): with patch's default fuzz a
# reverse dry run can "succeed" on a tree that lacks the patch, and a patch
# can land where it was not written for.
FUZZ = "--fuzz=0"
# In the tree already when its reverse dry run passes (said quietly: on a tree
# without it, that run's failures are expected); else a forward dry run proves
# it applies whole before it is applied.
_ALREADY = 99  # not one of patch's own exit codes (0, 1, 2)
_APPLY_ONCE = (
    f'patch -p1 -R --dry-run -s -f {FUZZ} -i "$1" >/dev/null 2>&1 && exit {_ALREADY}; '
    f'patch -p1 -f {FUZZ} --no-backup-if-mismatch --forward --dry-run -i "$1" || exit; '
    f'exec patch -p1 -f {FUZZ} --no-backup-if-mismatch --forward -i "$1"'
)
# A hunk's first line in a unified (@@ -1,2 +1,2 @@) or a context diff (***************):
# patch takes a file without one (empty, a commit message alone) as nothing to do.
_HUNK = re.compile(rb"^(@@ -\d|\*{15})", re.MULTILINE)


@dataclass(frozen=True)
class Patch:
    name: str
    path: Path
    sha256: str

    def entry(self) -> dict[str, str]:
        return {"name": self.name, "sha256": self.sha256}


def patches(folder: Path | None) -> list[Patch]:
    """The folder's *.patch files in name order; none when the profile names no folder."""
    if folder is None:
        return []
    if not folder.is_dir():
        raise InputError(f"kernel.compat_patches {folder}: no such folder")
    found = sorted(folder.glob("*.patch"))
    if not found:
        raise InputError(f"kernel.compat_patches {folder}: no *.patch file in it")
    for path in found:
        if not _HUNK.search(path.read_bytes()):
            raise InputError(
                f"kernel.compat_patches {path}: no change in it (no hunk of a "
                "unified or context diff); write it with `diff -u` or `git diff`, "
                "or remove the file"
            )
    return [Patch(path.name, path, file_sha256(path)) for path in found]


def fingerprint(folder: Path | None) -> list[dict[str, str]]:
    """Names and sha256 of the patches, for the cache key."""
    return [patch.entry() for patch in patches(folder)]


def sync(ctx: BuildContext, tree: Path, wanted: list[Patch], record_dir: Path) -> list[dict[str, str]]:
    """Make TREE hold exactly the WANTED patches (plus what its source already had).
    The list, in order: name, sha256, status: "applied" (now), "kept" (applied by
    an earlier build of this tree), "in the source" (the source had it)."""
    record_dir.mkdir(parents=True, exist_ok=True)
    ours = _load(record_dir)
    entries = [patch.entry() for patch in wanted]
    for entry in reversed([e for e in ours if e not in entries]):
        _take_out(ctx, tree, entry, record_dir)
        ours.remove(entry)
        _save(record_dir, ours)
    done = []
    for patch in wanted:
        shutil.copyfile(patch.path, record_dir / f"{patch.sha256}.patch")  # kept before it can land
        if _apply_once(ctx, tree, patch):
            ours = [e for e in ours if e != patch.entry()] + [patch.entry()]
            _save(record_dir, ours)
            status = "applied"
        else:
            status = "kept" if patch.entry() in ours else "in the source"
        ctx.note(f"compat patch {patch.name}: {status}")
        done.append({**patch.entry(), "status": status})
    return done


def is_applied(ctx: BuildContext, tree: Path, patch: Path) -> bool:
    """The reverse dry run passes exactly when the patch is in the tree (a forward
    dry run fails the same way on an applied patch and on a broken one)."""
    return (
        ctx.run(
            ["patch", "-p1", "-R", "--dry-run", "-s", "-f", FUZZ, "-i", str(patch)], cwd=tree, check=False
        )
        == 0
    )


def failures(output: str) -> list[str]:
    """What patch complained about, one "FILE: complaint" per problem, from its
    output ("checking file X" / "patching file X", "Hunk #1 FAILED at 352.",
    "can't find file to patch" with the patch's |--- a/X line)."""
    found, current, missing = [], "", False
    for line in output.splitlines():
        match = re.match(r"(?:checking|patching) file (.+)", line)
        if match:
            current, missing = match.group(1).strip("'\""), False
        elif "can't find file to patch" in line:
            missing = True
        elif missing and re.match(r"\|(?:---|\+\+\+) ", line):
            name = line.split(maxsplit=1)[1].split("\t")[0]
            name = name.split("/", 1)[1] if "/" in name else name
            found.append(f"{name}: no such file in the tree")
            missing = False
        elif "FAILED" in line and line.startswith("Hunk"):
            found.append(f"{current}: {line.strip().rstrip('.')}")
        elif "Reversed (or previously applied) patch detected" in line:
            found.append(f"{current}: already changed the other way (reversed patch)")
    return list(dict.fromkeys(found))


def _apply_once(ctx: BuildContext, tree: Path, patch: Patch) -> bool:
    """Apply PATCH unless it is in TREE already (False then); one command for
    the three patch runs, as each is a container on the Docker backend."""
    code, said = _run_and_read(ctx, tree, ["sh", "-c", _APPLY_ONCE, "sh", str(patch.path)], patch.name)
    if code == _ALREADY:
        return False
    if code != 0:
        problems = failures(said) or [
            said.strip().splitlines()[-1] if said.strip() else f"patch exited {code}"
        ]
        raise BuildError(
            f"compat patch {patch.name} does not apply: {'; '.join(problems)} ({patch.path})",
            log=str(ctx.log_path),
        )
    return True


def _take_out(ctx: BuildContext, tree: Path, entry: dict[str, str], record_dir: Path) -> None:
    copy = record_dir / f"{entry['sha256']}.patch"
    if copy.is_file() and is_applied(ctx, tree, copy):
        _patch(ctx, tree, entry["name"], ["-R", "-i", str(copy)])
        ctx.note(f"compat patch {entry['name']}: taken out (the profile no longer names it)")
        return
    raise BuildError(
        f"compat patch {entry['name']}, applied by an earlier build, cannot be "
        f"taken out of {tree}: remove {tree.parent} for a fresh copy",
        log=str(ctx.log_path),
    )


def _patch(ctx: BuildContext, tree: Path, name: str, args: list[str]) -> None:
    """patch -p1 ARGS in TREE; a BuildError with what patch complained about."""
    argv = ["patch", "-p1", "-f", FUZZ, "--no-backup-if-mismatch", *args]
    code, said = _run_and_read(ctx, tree, argv, name)
    if code != 0:
        problems = failures(said) or [f"patch exited {code}"]
        raise BuildError(f"compat patch {name}: {'; '.join(problems)}", log=str(ctx.log_path))


def _run_and_read(ctx: BuildContext, tree: Path, argv: list[str], name: str) -> tuple[int, str]:
    """ARGV run in TREE as the step "patch NAME"; its exit code and what it said."""
    start = os.path.getsize(ctx.log_path) if ctx.log_path.exists() else 0
    code = ctx.run(argv, cwd=tree, check=False, step=f"patch {name}")
    with open(ctx.log_path, "rb") as log:
        log.seek(start)
        return code, log.read().decode(errors="replace")


def _load(record_dir: Path) -> list[dict[str, str]]:
    try:
        return list(json.loads((record_dir / RECORD).read_text()))
    except (OSError, ValueError):
        return []


def _save(record_dir: Path, entries: list[dict[str, str]]) -> None:
    temporary = record_dir / f"{RECORD}.tmp"
    temporary.write_text(json.dumps(entries, indent=1))
    os.replace(temporary, record_dir / RECORD)
