"""verify() of the kernel artifact on synthetic artifact folders: modules made
by the real ARM cross compiler, uImage by the real mkimage (NOOK.md mistakes 3, 4)."""

import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_quill.engine.context import Artifact
from pytest_quill.formats import uimage
from pytest_quill.kernel import modules as kernel_modules
from pytest_quill.kernel import recipe as kernel

RELEASE = "6.1.192-quill"
CC = "arm-linux-gnueabihf-gcc"
NAMES = [name for name, _ in kernel_modules.SQUIREOS_MODULES]
KERNEL_EXPORTS = ("proc_create", "remove_proc_entry", "_printk")

# vmlinux's allocated sections as the recipe records them: the text first, at stext.
SOUND_VMLINUX = {"entry": "0xc0008000", "sections": [
    {"name": ".text.head", "address": "0xc0008000", "size": 0x3d4},
    {"name": ".text", "address": "0xc0100000", "size": 0x31a8c6},
    {"name": ".data", "address": "0xc035e000", "size": 0x2e840}]}

pytestmark = pytest.mark.skipif(shutil.which(CC) is None, reason=f"{CC} missing")


def module_source(name: str, *, init: bool, vermagic: str) -> str:
    """A stand-in .ko: what module_init and MODULE_INFO leave in the object."""
    lines = [f'static const char info[] __attribute__((section(".modinfo"), used)) = '
             f'"vermagic={vermagic} mod_unload ARMv7 p2v8 ";',
             "extern int proc_create(void);"]
    # The core defines the root; whether it is exported is Module.symvers's business.
    lines.append("void *squireos_root;" if name == "squireos_core"
                 else "extern void *squireos_root;")
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
    return "".join(f"0x00000000\t{symbol}\t{module}\tEXPORT_SYMBOL_GPL\t\n"
                   for symbol, module in exports)


def make_artifact(root: Path, profile, *, value="m", init=True, vermagic=RELEASE,
                  export_root=True, map_symbols=()) -> Artifact:
    root.mkdir()
    (root / "zImage").write_bytes(os.urandom(50_000))
    subprocess.run(uimage.mkimage_argv(root / "zImage", root / "uImage", profile),
                   check=True, capture_output=True)
    symbols = {f"CONFIG_{symbol}": value for _, symbol in kernel_modules.SQUIREOS_MODULES}
    (root / "config").write_text("CONFIG_MODULES=y\n" + "".join(
        f"{key}={val}\n" for key, val in symbols.items()))
    (root / "System.map").write_text("c0008000 T stext\n" + "".join(
        f"c01{i:05x} T {name}\n" for i, name in enumerate(("start_kernel",) + map_symbols)))
    exports = [(s, "vmlinux") for s in KERNEL_EXPORTS]
    if export_root:
        exports.append(("squireos_root", "drivers/squireos/squireos_core"))
    (root / "Module.symvers").write_text(symvers(exports))
    if value == "m":
        for name in NAMES:
            make_ko(kernel_modules.ko_path(root, RELEASE, name),
                    module_source(name, init=init or name == "squireos_core",
                                  vermagic=vermagic))
    meta = {"release": RELEASE, "config_check": {"problems": []},
            "kconfig_chain": ["Kconfig", "drivers/Kconfig", "drivers/squireos/Kconfig"],
            "vmlinux": SOUND_VMLINUX}
    (root / "meta.json").write_text(json.dumps(meta))
    return Artifact("kernel", "k", root, "built", root / "log", meta)


def test_a_sound_modular_artifact_verifies_clean(tmp_path, profile):
    assert kernel.verify(make_artifact(tmp_path / "a", profile), profile) == []


def test_mistake_3_an_unexported_proc_root_leaves_the_feature_modules_unresolved(tmp_path,
                                                                                 profile):
    problems = kernel.verify(make_artifact(tmp_path / "a", profile, export_root=False), profile)
    for name in ("jester", "typewriter", "wisdom"):
        assert (f"{name}.ko: unresolved symbol squireos_root: not in Module.symvers, nothing "
                f"exports it (EXPORT_SYMBOL_GPL in the module that defines it?)") in problems
    assert not [p for p in problems if p.startswith("squireos_core.ko")]


def test_mistake_3_feature_modules_without_module_init_are_named(tmp_path, profile):
    problems = kernel.verify(make_artifact(tmp_path / "a", profile, init=False), profile)
    assert problems == [f"{name}.ko has no init_module: the module has no module_init()"
                        for name in ("jester", "typewriter", "wisdom")]


def test_modules_of_another_kernel_fail_on_vermagic(tmp_path, profile):
    problems = kernel.verify(make_artifact(tmp_path / "a", profile, vermagic="6.1.0"), profile)
    assert (f"wisdom.ko: vermagic '6.1.0 mod_unload ARMv7 p2v8' does not match kernel "
            f"release {RELEASE}") in problems


def test_a_missing_ko_is_named_with_its_symbol(tmp_path, profile):
    artifact = make_artifact(tmp_path / "a", profile)
    ko = kernel_modules.ko_path(artifact.path, RELEASE, "typewriter")
    ko.unlink()
    assert kernel.verify(artifact, profile) == [
        f"{ko}: missing, though SQUIREOS_TYPEWRITER=m in the final .config"]


def built_in(profile):
    return dataclasses.replace(profile, kernel=dataclasses.replace(profile.kernel, squireos="y"))


def test_mistake_4_a_built_in_image_without_the_module_code_is_caught(tmp_path, profile):
    profile = built_in(profile)
    problems = kernel.verify(make_artifact(tmp_path / "a", profile, value="y"), profile)
    assert problems == [f"{name}: {symbol}=y but System.map has no {name}_init: the image "
                        f"holds none of {name}'s code"
                        for name, symbol in kernel_modules.SQUIREOS_MODULES]


def test_a_built_in_image_with_the_module_code_verifies_clean(tmp_path, profile):
    profile = built_in(profile)
    artifact = make_artifact(tmp_path / "a", profile, value="y",
                             map_symbols=tuple(f"{name}_init" for name in NAMES))
    assert kernel.verify(artifact, profile) == []


def test_modules_where_the_profile_wants_them_built_in_are_named(tmp_path, profile):
    problems = kernel.verify(make_artifact(tmp_path / "a", profile), built_in(profile))
    assert ("jester: SQUIREOS_JESTER=m in the final .config, the profile wants it built in "
            "(kernel.squireos = y)") in problems


def test_dropped_symbols_and_an_unreachable_kconfig_reach_verify(tmp_path, profile):
    artifact = make_artifact(tmp_path / "a", profile)
    message = "SQUIREOS not in the final .config: is its Kconfig sourced from a file ARCH=arm reads?"
    meta = {**artifact.meta, "kconfig_chain": None,
            "config_check": {"problems": [{"symbol": "SQUIREOS", "message": message}]}}
    problems = kernel.verify(dataclasses.replace(artifact, meta=meta), profile)
    assert problems == [message, "drivers/squireos/Kconfig is not sourced by any file ARCH=arm "
                                 "reads (kernel.kconfig_parent = drivers/Kconfig)"]


def test_missing_output_files_are_listed_first(tmp_path, profile):
    artifact = make_artifact(tmp_path / "a", profile)
    (artifact.path / "uImage").unlink()
    assert kernel.verify(artifact, profile) == [f"{artifact.path / 'uImage'}: missing"]
