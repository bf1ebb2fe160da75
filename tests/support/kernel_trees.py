"""Small synthetic kernel source trees (the ARM 2.6.29 Kconfig layout of
NOOK.md), the SquireOS integration applied to them, and what the real Kconfig
tool (kconfig-conf) makes of a requested config there."""

import os
import shutil
import subprocess
from pathlib import Path

from pytest_quill.formats import kconfig
from pytest_quill.kernel import integration as kernel_integration

PROJECT = Path(__file__).resolve().parents[2]
MODULES = PROJECT / "squireos/kernel/drivers/squireos"
FRAGMENT = (
    "CONFIG_SQUIREOS=m\nCONFIG_SQUIREOS_JESTER=m\nCONFIG_SQUIREOS_TYPEWRITER=m\nCONFIG_SQUIREOS_WISDOM=m\n"
)

ARM_2629 = {
    "Makefile": "VERSION = 2\nPATCHLEVEL = 6\nSUBLEVEL = 29\n",
    "arch/arm/Kconfig": (
        'mainmenu "Linux Kernel Configuration"\n\n'
        "config ARM\n\tbool\n\tdefault y\n\n"
        'config MODULES\n\tbool "Enable loadable module support"\n\toption modules\n\tdefault y\n\n'
        'config PROC_FS\n\tbool "/proc file system support"\n\tdefault y\n\n'
        'config VT\n\tbool "Virtual terminal"\n\tdefault y\n\n'
        'menu "Device Drivers"\n\nsource "drivers/base/Kconfig"\n\nendmenu\n\n'
        'source "fs/Kconfig"\n'
    ),
    "drivers/Kconfig": 'menu "Device Drivers"\n\nsource "drivers/base/Kconfig"\n\nendmenu\n',
    "drivers/base/Kconfig": 'config STANDALONE\n\tbool "Standalone drivers"\n\tdefault y\n',
    "drivers/Makefile": "obj-y\t\t\t\t+= base/\n",
    "fs/Kconfig": 'config EXT3_FS\n\ttristate "ext3"\n\tdefault y\n',
}


def make_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def olddefconfig(tree: Path, arch: str, requested: str) -> dict[str, str]:
    """What the real Kconfig tool keeps of `requested` in this tree."""
    config = tree.parent / f"{tree.name}.config"
    config.write_text(requested)
    root = kconfig.root_kconfig(tree, arch).relative_to(tree)
    subprocess.run(
        ["kconfig-conf", "--olddefconfig", str(root)],
        cwd=tree,
        env={**os.environ, "KCONFIG_CONFIG": str(config)},
        check=True,
        capture_output=True,
    )
    return kconfig.parse_config(config.read_text())


def integrate(tree: Path, parent: str, modules: Path = MODULES) -> dict:
    return kernel_integration.integrate(tree, tree.parent / "originals", modules, parent)


def bool_children(tmp_path: Path) -> Path:
    """The earlier attempt's Kconfig: a tristate parent with bool children."""
    modules = tmp_path / "bool-modules"
    shutil.copytree(MODULES, modules)
    text = (modules / "Kconfig").read_text()
    start = text.index("if SQUIREOS")
    (modules / "Kconfig").write_text(text[:start] + text[start:].replace("tristate", "bool"))
    return modules
