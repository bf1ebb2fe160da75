"""A1: the SquireOS modules put into the kernel tree and built with it.

Assertions on the kernel artifact's record of its own build (meta.json):
where the Kconfig was sourced from, whether ARCH's Kconfig reaches it, what
was compiled."""

import re

import pytest

from pytest_quill.kernel import modules as kernel_modules

pytestmark = pytest.mark.gate(1)


def test_kconfig_sourced_from_the_profiles_kconfig_parent(kernel_uimage, profile):
    integration = kernel_uimage.meta.integration
    assert integration["kconfig_parent"] == profile.kernel.kconfig_parent
    assert integration["source_line"] == 'source "drivers/squireos/Kconfig"'
    assert profile.kernel.kconfig_parent in integration["edited"]


def test_drivers_makefile_descends_into_squireos(kernel_uimage):
    integration = kernel_uimage.meta.integration
    assert integration["makefile"] == "drivers/Makefile"
    assert integration["makefile_line"].split() == ["obj-$(CONFIG_SQUIREOS)", "+=", "squireos/"]


def test_squireos_kconfig_reachable_from_the_arch_kconfig(kernel_uimage, profile):
    chain = kernel_uimage.meta.kconfig_chain
    assert chain, (
        f"drivers/squireos/Kconfig is not reached from ARCH={profile.target.arch}'s "
        f"Kconfig (sourced from {profile.kernel.kconfig_parent})"
    )
    assert chain[-2:] == (profile.kernel.kconfig_parent, "drivers/squireos/Kconfig")


def test_release_is_of_the_profiles_kernel_version(kernel_uimage, profile):
    release = kernel_uimage.meta.release
    # 6.1 -> 6.1.192-quill; 2.6.29 -> 2.6.29-omap1 (the tree's EXTRAVERSION)
    assert re.match(rf"{re.escape(profile.kernel.version)}([.-]|$)", release), release


def test_squireos_built_as_the_profile_asks(kernel_uimage, profile):
    everything = [name for name, _ in kernel_modules.SQUIREOS_MODULES]
    built = kernel_uimage.meta.modules if profile.kernel.squireos == "m" else kernel_uimage.meta.builtin
    assert list(built) == everything


def test_images_were_made(kernel_uimage):
    for name in ("zImage", "uImage", "config", "System.map"):
        assert kernel_uimage.file(name).stat().st_size > 0, name
