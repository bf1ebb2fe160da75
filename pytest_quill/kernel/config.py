"""Did every symbol the profile asked for survive `make olddefconfig/oldconfig`?

The answer goes into the artifact's meta (config_check); each broken symbol
carries the likely cause, found in the tree's Kconfig files, because a dropped
symbol is silent in make's output (NOOK.md, mistakes 1 and 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..formats import kconfig

SQUIREOS_KCONFIG = "drivers/squireos/Kconfig"


def check(
    requested: dict[str, str], final: dict[str, str], tree: Path, arch: str, kconfig_parent: str
) -> dict[str, Any]:
    """{"requested", "final", "problems": [{"symbol", "requested", "final", "message"}]}"""
    problems = []
    for symbol, wanted in requested.items():
        got = final.get(symbol)
        if (got or kconfig.NOT_SET) == wanted:
            continue
        problems.append(
            {
                "symbol": symbol,
                "requested": wanted,
                "final": got,
                "message": explain(symbol, wanted, final, tree, arch, kconfig_parent),
            }
        )
    return {
        "requested": requested,
        "final": {symbol: final.get(symbol) for symbol in requested},
        "problems": problems,
    }


def explain(
    symbol: str, wanted: str, final: dict[str, str], tree: Path, arch: str, kconfig_parent: str
) -> str:
    got = final.get(symbol)
    what = (
        f"{symbol} not in the final .config"
        if got is None
        else f"{symbol}={got} in the final .config, requested {wanted}"
    )
    return f"{what}: {_cause(symbol, wanted, got, final, tree, arch, kconfig_parent)}"


def _cause(
    symbol: str,
    wanted: str,
    got: str | None,
    final: dict[str, str],
    tree: Path,
    arch: str,
    kconfig_parent: str,
) -> str:
    decl = _declaration(tree, symbol)
    if decl is None:
        return "no Kconfig file of the tree declares it (misspelt, or from another version?)"
    if kconfig.source_chain(tree, arch, decl.file) is None:
        where = (
            f"{decl.file} is sourced from {kconfig_parent}, which ARCH={arch} never reads"
            if decl.file == SQUIREOS_KCONFIG
            else f"no file ARCH={arch} reads sources {decl.file}"
        )
        return f"is its Kconfig sourced from a file ARCH={arch} reads? ({where})"
    if wanted == "m" and decl.type == "bool":
        return (
            f"declared bool in {decl.file}: it can never be a module (=y builds it "
            f"into the image with no .ko; declare it tristate)"
        )
    if wanted == "m" and final.get("MODULES", kconfig.NOT_SET) == kconfig.NOT_SET:
        return "=m needs MODULES=y, which is not set"
    unmet = [dep for dep in decl.depends if final.get(dep, kconfig.NOT_SET) == kconfig.NOT_SET]
    if unmet:
        return f"{decl.file} makes it depend on {', '.join(unmet)}, not set in the final .config"
    return f"overridden by a select or a dependency (declared in {decl.file})"


def _declaration(tree: Path, symbol: str) -> kconfig.Declaration | None:
    ours = tree / SQUIREOS_KCONFIG
    if ours.is_file() and symbol in (decls := kconfig.declarations(ours, tree)):
        return decls[symbol]
    return kconfig.find_declaration(tree, symbol)


def problem_lines(config_check: dict[str, Any]) -> list[str]:
    return [problem["message"] for problem in config_check.get("problems", [])]
