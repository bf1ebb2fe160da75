"""The synthetic kernel and rootfs of tests/support/cards.py are what they claim to be."""

import subprocess
import tarfile

from tests.support.cards import ROOT_ENTRIES, make_kernel, make_rootfs


def test_synthetic_rootfs_holds_device_nodes_and_a_manifest_line_each(tmp_path):
    rootfs = make_rootfs(tmp_path / "rootfs")
    with tarfile.open(rootfs.file("rootfs.tar.gz")) as tar:
        console = tar.getmember("dev/console")
    assert console.ischr() and (console.devmajor, console.devminor) == (5, 1)
    manifest = rootfs.file("manifest.tsv").read_text().splitlines()
    assert len(manifest) == len(ROOT_ENTRIES)
    assert "/dev/console\t0600\t0\t-\tchar" in manifest


def test_synthetic_kernel_uimage_is_a_legacy_arm_kernel_image(tmp_path):
    kernel = make_kernel(tmp_path / "kernel")
    listing = subprocess.run(
        ["dumpimage", "-l", str(kernel.file("uImage"))], capture_output=True, text=True, check=True
    ).stdout
    assert "ARM Linux Kernel Image" in listing and "40008000" in listing
