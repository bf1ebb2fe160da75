"""Synthetic kernel artifact folders: modules made by the real ARM cross
compiler, uImage by the real mkimage, with the files and metadata the kernel
recipe's verify() reads."""

import os
import subprocess
from pathlib import Path

from benchmarks.synthetic_inputs import kernel_meta
from pytest_quill.engine.context import Artifact
from pytest_quill.engine.meta import write_meta
from pytest_quill.formats import uimage
from pytest_quill.kernel import modules as kernel_modules

RELEASE = "6.1.192-quill"
CC = "arm-linux-gnueabihf-gcc"
NAMES = [name for name, _ in kernel_modules.SQUIREOS_MODULES]
KERNEL_EXPORTS = ("proc_create", "remove_proc_entry", "_printk")

# vmlinux's allocated sections as the recipe records them: the text first, at stext.
SOUND_VMLINUX = {
    "entry": "0xc0008000",
    "sections": [
        {"name": ".text.head", "address": "0xc0008000", "size": 0x3D4},
        {"name": ".text", "address": "0xc0100000", "size": 0x31A8C6},
        {"name": ".data", "address": "0xc035e000", "size": 0x2E840},
    ],
}


def module_source(name: str, *, init: bool, vermagic: str) -> str:
    """A stand-in .ko: what module_init and MODULE_INFO leave in the object."""
    lines = [
        f'static const char info[] __attribute__((section(".modinfo"), used)) = '
        f'"vermagic={vermagic} mod_unload ARMv7 p2v8 ";',
        "extern int proc_create(void);",
    ]
    # The core defines the root; whether it is exported is Module.symvers's business.
    lines.append("void *squireos_root;" if name == "squireos_core" else "extern void *squireos_root;")
    body = "return proc_create() + (squireos_root != 0);"
    lines.append(f"int {'init_module' if init else name + '_setup'}(void) {{ {body} }}")
    return "\n".join(lines) + "\n"


def make_ko(path: Path, source: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    c_file = path.with_suffix(".c")
    c_file.write_text(source)
    subprocess.run([CC, "-c", "-O2", "-fno-common", str(c_file), "-o", str(path)], check=True)
    c_file.unlink()


def symvers(exports: list[tuple[str, str]]) -> str:
    return "".join(f"0x00000000\t{symbol}\t{module}\tEXPORT_SYMBOL_GPL\t\n" for symbol, module in exports)


def make_artifact(
    root: Path, profile, *, value="m", init=True, vermagic=RELEASE, export_root=True, map_symbols=()
) -> Artifact:
    root.mkdir()
    (root / "zImage").write_bytes(os.urandom(50_000))
    subprocess.run(
        uimage.mkimage_argv(root / "zImage", root / "uImage", profile), check=True, capture_output=True
    )
    symbols = {f"CONFIG_{symbol}": value for _, symbol in kernel_modules.SQUIREOS_MODULES}
    (root / "config").write_text(
        "CONFIG_MODULES=y\n" + "".join(f"{key}={val}\n" for key, val in symbols.items())
    )
    (root / "System.map").write_text(
        "c0008000 T stext\n"
        + "".join(f"c01{i:05x} T {name}\n" for i, name in enumerate(("start_kernel",) + map_symbols))
    )
    exports = [(s, "vmlinux") for s in KERNEL_EXPORTS]
    if export_root:
        exports.append(("squireos_root", "drivers/squireos/squireos_core"))
    (root / "Module.symvers").write_text(symvers(exports))
    if value == "m":
        for name in NAMES:
            make_ko(
                kernel_modules.ko_path(root, RELEASE, name),
                module_source(name, init=init or name == "squireos_core", vermagic=vermagic),
            )
    meta = kernel_meta(
        release=RELEASE,
        kconfig_chain=("Kconfig", "drivers/Kconfig", "drivers/squireos/Kconfig"),
        vmlinux=SOUND_VMLINUX,
    )
    write_meta(root, meta)
    return Artifact("kernel", "k", root, "built", root / "log", meta)
