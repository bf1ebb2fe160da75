"""verify() of the kernel artifact on synthetic artifact folders: modules made
by the real ARM cross compiler, uImage by the real mkimage (NOOK.md mistakes 3, 4)."""

import dataclasses
import shutil

import pytest

from pytest_quill.kernel import modules as kernel_modules
from pytest_quill.kernel import verify as kernel
from tests.support.kernel_artifacts import CC, NAMES, RELEASE, make_artifact

pytestmark = pytest.mark.skipif(shutil.which(CC) is None, reason=f"{CC} missing")


def test_a_sound_modular_artifact_verifies_clean(tmp_path, profile):
    assert kernel.verify(make_artifact(tmp_path / "a", profile), profile) == []


def test_mistake_3_an_unexported_proc_root_leaves_the_feature_modules_unresolved(tmp_path, profile):
    problems = kernel.verify(make_artifact(tmp_path / "a", profile, export_root=False), profile)
    for name in ("jester", "typewriter", "wisdom"):
        assert (
            f"{name}.ko: unresolved symbol squireos_root: not in Module.symvers, nothing "
            f"exports it (EXPORT_SYMBOL_GPL in the module that defines it?)"
        ) in problems
    assert not [p for p in problems if p.startswith("squireos_core.ko")]


def test_mistake_3_feature_modules_without_module_init_are_named(tmp_path, profile):
    problems = kernel.verify(make_artifact(tmp_path / "a", profile, init=False), profile)
    assert problems == [
        f"{name}.ko has no init_module: the module has no module_init()"
        for name in ("jester", "typewriter", "wisdom")
    ]


def test_modules_of_another_kernel_fail_on_vermagic(tmp_path, profile):
    problems = kernel.verify(make_artifact(tmp_path / "a", profile, vermagic="6.1.0"), profile)
    assert (
        f"wisdom.ko: vermagic '6.1.0 mod_unload ARMv7 p2v8' does not match kernel release {RELEASE}"
    ) in problems


def test_a_missing_ko_is_named_with_its_symbol(tmp_path, profile):
    artifact = make_artifact(tmp_path / "a", profile)
    ko = kernel_modules.ko_path(artifact.path, RELEASE, "typewriter")
    ko.unlink()
    assert kernel.verify(artifact, profile) == [
        f"{ko}: missing, though SQUIREOS_TYPEWRITER=m in the final .config"
    ]


def built_in(profile):
    return dataclasses.replace(profile, kernel=dataclasses.replace(profile.kernel, squireos="y"))


def test_mistake_4_a_built_in_image_without_the_module_code_is_caught(tmp_path, profile):
    profile = built_in(profile)
    problems = kernel.verify(make_artifact(tmp_path / "a", profile, value="y"), profile)
    assert problems == [
        f"{name}: {symbol}=y but System.map has no {name}_init: the image holds none of {name}'s code"
        for name, symbol in kernel_modules.SQUIREOS_MODULES
    ]


def test_a_built_in_image_with_the_module_code_verifies_clean(tmp_path, profile):
    profile = built_in(profile)
    artifact = make_artifact(
        tmp_path / "a", profile, value="y", map_symbols=tuple(f"{name}_init" for name in NAMES)
    )
    assert kernel.verify(artifact, profile) == []


def test_modules_where_the_profile_wants_them_built_in_are_named(tmp_path, profile):
    problems = kernel.verify(make_artifact(tmp_path / "a", profile), built_in(profile))
    assert (
        "jester: SQUIREOS_JESTER=m in the final .config, the profile wants it built in (kernel.squireos = y)"
    ) in problems


def test_dropped_symbols_and_an_unreachable_kconfig_reach_verify(tmp_path, profile):
    artifact = make_artifact(tmp_path / "a", profile)
    message = "SQUIREOS not in the final .config: is its Kconfig sourced from a file ARCH=arm reads?"
    meta = dataclasses.replace(
        artifact.meta,
        kconfig_chain=None,
        config_check={"problems": [{"symbol": "SQUIREOS", "message": message}]},
    )
    problems = kernel.verify(dataclasses.replace(artifact, meta=meta), profile)
    assert problems == [
        message,
        "drivers/squireos/Kconfig is not sourced by any file ARCH=arm "
        "reads (kernel.kconfig_parent = drivers/Kconfig)",
    ]


def test_missing_output_files_are_listed_first(tmp_path, profile):
    artifact = make_artifact(tmp_path / "a", profile)
    (artifact.path / "uImage").unlink()
    assert kernel.verify(artifact, profile) == [f"{artifact.path / 'uImage'}: missing"]
