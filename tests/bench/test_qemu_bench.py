"""The QEMU bench with the real qemu-system-arm and Debian's U-Boot (no kernel needed)."""

import hashlib
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_quill.bench.base import BenchOptions, bench_for
from pytest_quill.bench.qemu import QemuBench
from pytest_quill.errors import BenchError
from pytest_quill.profile import load_profile

pytestmark = pytest.mark.timeout(120)


def qemu_bench(tmp_path, **overrides):
    profile = load_profile("qemu-virt", overrides)
    return bench_for(profile, tmp_path / "run", BenchOptions())


@pytest.fixture
def blank_card(tmp_path):
    card = tmp_path / "blank.img"
    card.write_bytes(bytes(1 << 20))
    return card


def test_the_profile_picks_the_qemu_bench_and_it_is_ready_here(tmp_path):
    bench = qemu_bench(tmp_path)
    assert isinstance(bench, QemuBench)
    assert bench.check() == []


def test_check_names_a_missing_binary_bios_and_machine(tmp_path):
    assert qemu_bench(tmp_path, **{"bench.qemu.binary": "qemu-system-nope"}).check() == [
        "qemu-system-nope not found on PATH (apt-get install qemu-system-arm)"
    ]
    assert qemu_bench(tmp_path, **{"bench.qemu.bios": "/nonexistent/u-boot.bin"}).check() == [
        "U-Boot image /nonexistent/u-boot.bin missing (apt-get install u-boot-qemu, or set bench.qemu.bios)"
    ]
    assert qemu_bench(tmp_path, **{"bench.qemu.machine": "nope,highmem=off"}).check() == [
        "qemu-system-arm has no machine 'nope' (bench.qemu.machine)"
    ]


def test_power_on_reaches_u_boot_and_logs_it(tmp_path, blank_card):
    with qemu_bench(tmp_path) as bench:
        console = bench.power_on(blank_card, tmp_path / "logs" / "console.log")
        console.expect("U-Boot [0-9]", timeout=30)
        console.expect("=> $", timeout=60, what="the U-Boot prompt (no boot device)")
        console.sendline("version")
        console.expect("arm-linux-gnueabihf-gcc", timeout=10)
    assert b"U-Boot 20" in (tmp_path / "logs" / "console.log").read_bytes()


def test_the_card_artifact_is_never_written_what_the_device_wrote_is_kept_in_the_run(tmp_path, blank_card):
    before = hashlib.sha256(blank_card.read_bytes()).hexdigest()
    with qemu_bench(tmp_path) as bench:
        console = bench.power_on(blank_card, tmp_path / "console.log")
        console.expect("=> $", timeout=60)
        console.sendline("mw.b ${loadaddr} 0x5a 0x200; virtio write ${loadaddr} 0 1")
        console.expect(r"1 blocks written: OK", timeout=10)
    assert hashlib.sha256(blank_card.read_bytes()).hexdigest() == before
    overlay, booted = tmp_path / "run" / "cards" / "console.qcow2", tmp_path / "booted.img"
    subprocess.run(["qemu-img", "convert", "-O", "raw", overlay, booted], check=True)
    booted = booted.read_bytes()
    assert booted[:0x200] == b"\x5a" * 0x200 and booted[0x200:] == blank_card.read_bytes()[0x200:]


def test_the_exact_command_heads_qemus_log_and_is_the_benchs_launched(tmp_path, blank_card):
    with qemu_bench(tmp_path) as bench:
        bench.power_on(blank_card, tmp_path / "logs" / "console.log").expect("U-Boot [0-9]", 30)
        argv = bench.command(tmp_path / "run" / "cards" / "console.qcow2", bench._folder)
    assert shlex.split(bench.launched) == argv
    first = (tmp_path / "logs" / "console.qemu.log").read_text().splitlines()[0]
    assert first == f"$ {bench.launched}"


def test_power_off_ends_qemu_and_removes_its_folder(tmp_path, blank_card):
    bench = qemu_bench(tmp_path)
    bench.power_on(blank_card, tmp_path / "console.log").expect("U-Boot [0-9]", timeout=30)
    process, folder = bench._proc, bench._folder
    bench.power_off()
    assert process.poll() is not None
    assert not folder.exists()
    bench.power_off()  # twice is harmless


def test_instances_run_side_by_side(tmp_path, blank_card):
    benches = [qemu_bench(tmp_path / str(i)) for i in range(2)]
    consoles = [bench.power_on(blank_card, tmp_path / f"console{i}.log") for i, bench in enumerate(benches)]
    try:
        for console in consoles:
            console.expect("=> $", timeout=90)
    finally:
        for bench in benches:
            bench.power_off()


def qemu_runs(pid: int) -> bool:
    try:
        return b"qemu" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def test_qemu_dies_with_the_process_that_started_it(tmp_path, blank_card):
    script = (
        "import sys, time; from pytest_quill.bench.base import bench_for; "
        "from pytest_quill.profile import load_profile; "
        "bench = bench_for(load_profile('qemu-virt'), sys.argv[1]); "
        "bench.power_on(sys.argv[2], sys.argv[1] + '/console.log'); "
        "print(bench._proc.pid, flush=True); time.sleep(600)"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path), str(blank_card)], stdout=subprocess.PIPE, text=True
    )
    qemu_pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while qemu_runs(qemu_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not qemu_runs(qemu_pid)


def test_qemu_failing_to_start_is_a_bench_error_with_its_reason(tmp_path, blank_card):
    bench = qemu_bench(tmp_path, **{"bench.qemu.machine": "nope"})
    with pytest.raises(
        BenchError,
        match=r"qemu-system-arm exited with code 1 at start: "
        r"qemu-system-arm: unsupported machine type",
    ) as failure:
        bench.power_on(blank_card, tmp_path / "console.log")
    assert failure.value.log == str(tmp_path / "console.qemu.log")
    assert bench._folder is None


def test_one_device_per_bench(tmp_path, blank_card):
    with qemu_bench(tmp_path) as bench:
        bench.power_on(blank_card, tmp_path / "first.log")
        with pytest.raises(
            BenchError,
            match=r"QEMU bench already powered on \(pid \d+, console "
            r".*first.log\): one device per bench",
        ):
            bench.power_on(blank_card, tmp_path / "second.log")


def test_a_board_with_its_own_sd_slot_and_usb_host_boots_u_boot_as_its_kernel(tmp_path):
    """The twin's way (versatileab): QEMU ignores -bios there, the card goes in the
    PL181 slot, the keyboard on the board's own OHCI."""
    bench = qemu_bench(
        tmp_path,
        **{
            "bench.qemu.machine": "versatileab",
            "bench.qemu.firmware_as": "kernel",
            "bench.qemu.disk_interface": "sd-slot",
            "bench.qemu.usb_controller": '""',
        },
    )
    argv = bench.command(tmp_path / "card.qcow2", tmp_path)
    assert argv[argv.index("-kernel") + 1] == str(bench.config.bios) and "-bios" not in argv
    assert argv[argv.index("-drive") + 1] == f"if=sd,file={tmp_path / 'card.qcow2'},format=qcow2"
    assert argv[argv.index("-usb") : argv.index("-usb") + 3] == ["-usb", "-device", "usb-kbd"]


def test_the_virt_board_keeps_its_bios_virtio_card_and_xhci_keyboard(tmp_path):
    argv = qemu_bench(tmp_path).command(tmp_path / "card.img", tmp_path)
    assert "-bios" in argv and "-kernel" not in argv and "-usb" not in argv
    assert "virtio-blk-device,drive=card" in argv
    assert argv[-4:] == ["-device", "qemu-xhci,id=usbhost", "-device", "usb-kbd,bus=usbhost.0"]
