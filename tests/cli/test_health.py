"""quill health: the bench asked, nothing built or booted; exit 2 names each
missing part (the lab's problem, not the product's)."""

from __future__ import annotations

from tests.support.quill_cli import run_quill


def test_this_machines_qemu_bench_is_ready(empty):
    result = run_quill("health", *empty)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "quill: the qemu bench of qemu-virt is ready\n"


def test_a_missing_binary_and_firmware_are_each_one_line_and_exit_2(empty, tmp_path):
    firmware = tmp_path / "u-boot.bin"
    result = run_quill(
        "health",
        "--set",
        f"bench.qemu.bios={firmware}",
        "--set",
        "bench.qemu.binary=qemu-system-nope",
        *empty,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "quill: bench not ready: qemu-system-nope not found on PATH (apt-get install qemu-system-arm)",
        f"quill: bench not ready: U-Boot image {firmware} missing "
        "(apt-get install u-boot-qemu, or set bench.qemu.bios)",
    ]
    assert not (tmp_path / "cache").exists() and not (tmp_path / "reports").exists()
