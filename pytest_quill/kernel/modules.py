"""Checks of the SquireOS code in a kernel artifact (gate 2, NOOK.md mistakes 2-4):
a .ko for every =m symbol, its code in the image for every =y one, every
module's symbols resolved, an init function, and vermagic of this kernel."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..errors import VerifyError
from ..formats import elf

# Load order: the core first (it exports the proc root), unload in reverse.
SQUIREOS_MODULES = (
    ("squireos_core", "SQUIREOS"),
    ("jester", "SQUIREOS_JESTER"),
    ("typewriter", "SQUIREOS_TYPEWRITER"),
    ("wisdom", "SQUIREOS_WISDOM"),
)
KO_DIR = "kernel/drivers/squireos"
# Resolved by the module loader itself, not by an export (modpost ignores them too).
LOADER_SYMBOLS_PREFIXES = ("__aeabi_unwind_cpp_pr", "_GLOBAL_OFFSET_TABLE_", ".TOC.")


def modules_root(artifact_dir: Path, release: str) -> Path:
    return artifact_dir / "modules" / "lib" / "modules" / release


def ko_path(artifact_dir: Path, release: str, name: str) -> Path:
    return modules_root(artifact_dir, release) / KO_DIR / f"{name}.ko"


def built_as(final: dict[str, str], value: str) -> list[str]:
    """SquireOS module names whose symbol has `value` (m or y), in load order."""
    return [name for name, symbol in SQUIREOS_MODULES if final.get(symbol) == value]


def exported_symbols(module_symvers: Path) -> dict[str, str]:
    """Module.symvers -> {symbol: module that exports it} (2.6.29 and 6.x layouts)."""
    exports = {}
    for line in module_symvers.read_text(errors="replace").splitlines():
        fields = line.split("\t")
        if len(fields) >= 3:
            exports[fields[1]] = fields[2]
    return exports


def check(artifact_dir: Path, release: str, final: dict[str, str], wanted: str) -> list[str]:
    """One line per broken fact about the SquireOS code of the artifact."""
    symvers = artifact_dir / "Module.symvers"
    exports = exported_symbols(symvers) if symvers.is_file() else {}
    system_map = artifact_dir / "System.map"
    image_symbols = _map_symbols(system_map) if system_map.is_file() else set()
    problems = []
    for name, symbol in SQUIREOS_MODULES:
        value = final.get(symbol)
        if value == "m":
            if wanted == "y":
                problems.append(
                    f"{name}: {symbol}=m in the final .config, the profile wants "
                    f"it built in (kernel.squireos = y)"
                )
            problems += check_ko(ko_path(artifact_dir, release, name), symbol, release, exports)
        elif value == "y":
            problems += _check_builtin(name, symbol, wanted, image_symbols)
        else:
            problems.append(
                f"{name}: {symbol} is not set in the final .config: "
                f"neither {name}.ko nor its code in the image"
            )
    return problems


def check_ko(ko: Path, symbol: str, release: str, exports: dict[str, str]) -> list[str]:
    if not ko.is_file():
        return [f"{ko}: missing, though {symbol}=m in the final .config"]
    problems = []
    try:
        module = elf.Elf(ko)
        symbols, info = module.symbols(), module.modinfo()
    except ValueError as error:  # not an ELF file, or a broken one
        raise VerifyError(str(error)) from None
    defined = {s.name for s in symbols if s.defined}
    if "init_module" not in defined:
        problems.append(f"{ko.name} has no init_module: the module has no module_init()")
    for missing in unresolved(symbols, exports):
        problems.append(
            f"{ko.name}: unresolved symbol {missing}: not in Module.symvers, "
            f"nothing exports it (EXPORT_SYMBOL_GPL in the module that defines it?)"
        )
    vermagic = info.get("vermagic", "")
    if vermagic.split(" ")[0] != release:
        problems.append(f"{ko.name}: vermagic {vermagic.strip()!r} does not match kernel release {release}")
    return problems


def unresolved(symbols: Iterable[elf.Symbol], exports: dict[str, str]) -> list[str]:
    undefined = {s.name for s in symbols if not s.defined and not s.local}
    return sorted(
        name for name in undefined if name not in exports and not name.startswith(LOADER_SYMBOLS_PREFIXES)
    )


def _check_builtin(name: str, symbol: str, wanted: str, image_symbols: set[str]) -> list[str]:
    problems = []
    if wanted == "m":
        problems.append(
            f"{name}: {symbol}=y in the final .config, the profile wants modules "
            f"(kernel.squireos = m): built into the image, no {name}.ko"
        )
    if f"{name}_init" not in image_symbols:
        problems.append(
            f"{name}: {symbol}=y but System.map has no {name}_init: the image holds none of {name}'s code"
        )
    return problems


def _map_symbols(system_map: Path) -> set[str]:
    return {
        line.split()[2]
        for line in system_map.read_text(errors="replace").splitlines()
        if len(line.split()) >= 3
    }
