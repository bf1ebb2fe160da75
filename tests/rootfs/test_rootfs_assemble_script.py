"""pytest_quill/data/rootfs/assemble.sh and the init scripts, run for real on a small
staging tree shaped like unpacked busybox-static + kmod packages."""

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from pytest_quill import data
from pytest_quill.profile import load_profile

SOURCES = data.path("rootfs")
SCRIPTS = [
    SOURCES / "fetch-packages.sh",
    SOURCES / "assemble.sh",
    *sorted((SOURCES / "dev").glob("*.sh")),
    *sorted((SOURCES / "overlay" / "etc" / "init.d").iterdir()),
]


def staged(work: Path) -> Path:
    staging = work / "staging"
    for folder in (
        "bin",
        "sbin",
        "lib/arm-linux-gnueabihf",
        "usr/share/doc/kmod",
        "usr/lib/arm-linux-gnueabihf/gconv",
        "etc/init.d",
        "etc/modprobe.d",
    ):
        (staging / folder).mkdir(parents=True)
    (staging / "bin" / "busybox").write_bytes(b"\x7fELF busybox")
    (staging / "bin" / "kmod").write_bytes(b"\x7fELF kmod")
    for tool in ("modprobe", "insmod", "rmmod", "depmod"):
        (staging / "sbin" / tool).symlink_to("/bin/kmod")
    (staging / "lib" / "arm-linux-gnueabihf" / "libc.so.6").write_bytes(b"\x7fELF libc")
    (staging / "usr" / "share" / "doc" / "kmod" / "copyright").write_text("GPL")
    (staging / "usr" / "lib" / "arm-linux-gnueabihf" / "gconv" / "UTF-16.so").write_text("x")
    (staging / "etc" / "init.d" / "kmod").write_text("#!/bin/sh\n. /lib/lsb/init-functions\n")
    (work / "packages.txt").write_text("busybox-static 1:1.35.0-4 armhf\nkmod 30-1 armhf\n")
    return staging


def assemble(tmp_path: Path, dev_method: str) -> subprocess.CompletedProcess:
    work = tmp_path / "work"
    staged(work)
    return subprocess.run(
        ["sh", SOURCES / "assemble.sh", work, tmp_path / "tree", SOURCES, dev_method],
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    folder = tmp_path_factory.mktemp("assembled")
    done = assemble(folder, "devtmpfs")
    assert done.returncode == 0, done.stderr
    return folder / "tree"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_script_parses_as_posix_sh(script):
    done = subprocess.run(["sh", "-n", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_applet_links_point_at_busybox_but_never_replace_kmod(tree):
    assert os.readlink(tree / "sbin" / "init") == "/bin/busybox"
    assert os.readlink(tree / "bin" / "sh") == "/bin/busybox"
    assert os.readlink(tree / "bin" / "cttyhack") == "/bin/busybox"
    assert os.readlink(tree / "sbin" / "modprobe") == "/bin/kmod"
    assert os.readlink(tree / "sbin" / "insmod") == "/bin/kmod"


def test_every_listed_applet_gets_a_link_or_keeps_a_real_tool(tree):
    listed = [
        line
        for line in (SOURCES / "busybox-applets.list").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert len(listed) > 200
    assert all((tree / applet).is_symlink() for applet in listed)


def test_docs_package_init_scripts_and_gconv_stay_behind(tree):
    assert not (tree / "usr" / "share").exists()
    assert not (tree / "etc" / "init.d" / "kmod").exists()
    assert not (tree / "usr" / "lib" / "arm-linux-gnueabihf" / "gconv").exists()
    assert (tree / "lib" / "arm-linux-gnueabihf" / "libc.so.6").read_bytes() == b"\x7fELF libc"


def test_init_scripts_mount_points_and_modes(tree):
    for script in ("rcS", "rcK", "modules"):
        assert stat.S_IMODE((tree / "etc" / "init.d" / script).stat().st_mode) == 0o755
    assert stat.S_IMODE((tree / "tmp").stat().st_mode) == 0o1777
    assert stat.S_IMODE((tree / "root").stat().st_mode) == 0o700
    assert all((tree / point).is_dir() for point in ("proc", "sys", "dev", "tmp", "lib/modules"))
    assert (tree / "etc" / "squireos" / "packages").read_text().startswith("busybox-static ")


def test_devtmpfs_method_installs_the_devtmpfs_script(tree):
    assert (tree / "etc" / "init.d" / "dev").read_text() == (SOURCES / "dev" / "devtmpfs.sh").read_text()


def test_mdev_method_never_mounts_devtmpfs(tmp_path):
    assert assemble(tmp_path, "mdev").returncode == 0
    dev_script = (tmp_path / "tree" / "etc" / "init.d" / "dev").read_text()
    code = [line.split("#")[0] for line in dev_script.splitlines()]
    # mdev for later events, one `mdev -s` for the devices already there (on 2.6.29 too:
    # busybox/mdev-scan-sysfs-class.patch), never one replayed event per device.
    assert any("/proc/sys/kernel/hotplug" in line for line in code)
    assert any(line.strip() == "mdev -s" for line in code)
    assert not any("uevent" in line or "echo add" in line for line in code)
    assert not any("devtmpfs" in line for line in code)


def test_the_busybox_build_applies_the_mdev_scan_patch():
    """2.6.29's uevents have no DEVNAME: busybox 1.35's `mdev -s` (a /sys/dev scan)
    would name nodes "179:2"; the patch scans /sys/class and /sys/block there."""
    patch = (SOURCES / "busybox" / "mdev-scan-sysfs-class.patch").read_text()
    assert "+++ b/util-linux/mdev.c" in patch
    added = "\n".join(line for line in patch.splitlines() if line.startswith("+"))
    assert 'recursive_action("/sys/class"' in added and '"DEVNAME="' in added
    build = (SOURCES / "build-busybox.sh").read_text()
    assert '"$src"/busybox/*.patch' in build and "patch -p1" in build


def test_unknown_dev_method_fails_and_says_so(tmp_path):
    done = assemble(tmp_path, "udev")
    assert done.returncode == 2
    assert "no dev method udev" in done.stderr


def test_modules_load_in_the_squireos_order():
    names = [
        line
        for line in (SOURCES / "overlay" / "etc" / "squireos" / "modules").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert names == ["squireos_core", "jester", "typewriter", "wisdom"]


def test_inittab_runs_rcs_gives_a_passwordless_shell_and_shuts_down_with_rck():
    actions = dict(
        line.split(":", 3)[2:]
        for line in (SOURCES / "overlay" / "etc" / "inittab").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert actions["sysinit"] == "/etc/init.d/rcS"
    assert actions["respawn"] == "/bin/cttyhack /bin/sh -l"
    assert actions["shutdown"] == "/etc/init.d/rcK"
    assert (SOURCES / "overlay" / "etc" / "passwd").read_text().startswith("root::0:0:")


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash expands PS1 like busybox ash")
def test_login_prompt_matches_the_profiles_shell_prompt():
    expanded = subprocess.run(
        ["bash", "-c", f'. {SOURCES}/overlay/etc/profile; echo "${{PS1@P}}"'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.rstrip("\n")
    assert re.search(load_profile("qemu-virt").boot.shell_prompt, expanded)
