"""Kconfig facts read from files: .config values, fragments, declarations, reachability.

Nothing here runs make: it reads what make wrote (.config) and what the tree
declares (Kconfig files), so a dropped symbol can be explained, not only seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SET = re.compile(r"^CONFIG_(\w+)=(.*)$")
_UNSET = re.compile(r"^# CONFIG_(\w+) is not set$")
_SOURCE = re.compile(r'^\s*(o?r?source)\s+"([^"]+)"')
_CONFIG = re.compile(r"^\s*(?:menu)?config\s+(\w+)\s*$")
_TYPE = re.compile(r"^\s*(bool|tristate|string|int|hex)\b")
_DEPENDS = re.compile(r"^\s*depends\s+on\s+(.*)$")
_IF = re.compile(r"^\s*if\s+(.*)$")
_ENDIF = re.compile(r"^\s*endif\b")
_SYMBOL = re.compile(r"\b([A-Z][A-Z0-9_]+)\b")

NOT_SET = "n"


def parse_config(text: str) -> dict[str, str]:
    """CONFIG_X=v and '# CONFIG_X is not set' lines -> {X: v or 'n'}."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if match := _SET.match(line):
            values[match[1]] = match[2]
        elif match := _UNSET.match(line):
            values[match[1]] = NOT_SET
    return values


def merge_config(base: str, fragment: str) -> str:
    """The fragment's lines replace the base's for the same symbols, appended
    last (as merge_config.sh does): in a choice the last =y read wins."""
    forced = parse_config(fragment)
    kept = [line for line in base.splitlines() if _symbol_of(line) not in forced]
    added = [line.strip() for line in fragment.splitlines() if _symbol_of(line.strip())]
    return "\n".join(kept + added) + "\n"


def _symbol_of(line: str) -> str | None:
    match = _SET.match(line) or _UNSET.match(line)
    return match[1] if match else None


@dataclass(frozen=True)
class Declaration:
    symbol: str
    file: str  # relative to the tree
    type: str  # bool, tristate, ... or "" when the block has none
    depends: tuple[str, ...]  # symbols named in 'depends on' and enclosing 'if'


def declarations(kconfig: Path, tree: Path) -> dict[str, Declaration]:
    """The config blocks of one Kconfig file: type and the symbols they depend on."""
    found: dict[str, Declaration] = {}
    current: dict[str, Any] | None = None
    if_stack: list[list[str]] = []

    def close() -> None:
        if current:
            found[current["symbol"]] = Declaration(
                current["symbol"],
                str(kconfig.relative_to(tree)),
                current["type"],
                tuple(dict.fromkeys(current["depends"])),
            )

    for line in kconfig.read_text(errors="replace").splitlines():
        if match := _CONFIG.match(line):
            close()
            current = {"symbol": match[1], "type": "", "depends": [s for block in if_stack for s in block]}
        elif match := _IF.match(line):
            close()
            current = None
            if_stack.append(_SYMBOL.findall(match[1]))
        elif _ENDIF.match(line):
            close()
            current = None
            if if_stack:
                if_stack.pop()
        elif current is not None:
            if (match := _TYPE.match(line)) and not current["type"]:
                current["type"] = match[1]
            elif match := _DEPENDS.match(line):
                current["depends"].extend(_SYMBOL.findall(match[1]))
    close()
    return found


def root_kconfig(tree: Path, arch: str) -> Path:
    """The file kconfig starts from: the top Kconfig (4.18+), else arch/ARCH/Kconfig."""
    top = tree / "Kconfig"
    return top if top.is_file() else tree / "arch" / arch / "Kconfig"


def sources(kconfig: Path, tree: Path, arch: str) -> list[Path]:
    """The files one Kconfig file sources, with the arch variables expanded."""
    found = []
    for line in kconfig.read_text(errors="replace").splitlines():
        match = _SOURCE.match(line)
        if not match:
            continue
        name = _expand(match[2], arch)
        if "$" in name:
            continue  # a variable we cannot know here (e.g. KCONFIG_EXT_PREFIX)
        base = kconfig.parent if "r" in match[1].replace("source", "") else tree
        found.extend(sorted(base.glob(name)) if "*" in name else [base / name])
    return [path for path in found if path.is_file()]


def _expand(name: str, arch: str) -> str:
    for variable in ("SRCARCH", "ARCH", "HEADER_ARCH"):
        name = name.replace(f"$({variable})", arch).replace(f"${variable}", arch)
    return name


def source_chain(tree: Path, arch: str, target: str) -> list[str] | None:
    """How ARCH's kconfig reaches the file `target`: the chain of files from the
    root, or None when no chain of 'source' lines leads to it."""
    root = root_kconfig(tree, arch)
    if not root.is_file():
        return None
    wanted = (tree / target).resolve()
    parents: dict[Path, Path | None] = {root.resolve(): None}
    queue = [root.resolve()]
    while queue:
        current = queue.pop(0)
        if current == wanted:
            return _chain_to(current, parents, tree)
        for child in sources(current, tree, arch):
            child = child.resolve()
            if child not in parents:
                parents[child] = current
                queue.append(child)
    return None


def _chain_to(node: Path, parents: dict[Path, Path | None], tree: Path) -> list[str]:
    chain = []
    at: Path | None = node
    while at is not None:
        chain.append(str(at.relative_to(tree.resolve())))
        at = parents[at]
    return chain[::-1]


def find_declaration(tree: Path, symbol: str) -> Declaration | None:
    """Where the tree declares `symbol`, searching every Kconfig* file (slow:
    called only to explain a dropped symbol)."""
    pattern = re.compile(rf"^\s*(?:menu)?config\s+{re.escape(symbol)}\s*$", re.M)
    for path in sorted(tree.rglob("Kconfig*")):
        if path.is_file() and pattern.search(path.read_text(errors="replace")):
            return declarations(path, tree).get(symbol)
    return None
