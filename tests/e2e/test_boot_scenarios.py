"""Boot scenarios through the whole plugin, as a user runs them.

A kernel that cannot mount its root panics: gate 4 must close within seconds
of power-on, quoting the panic and the console log, and the tests behind it
skip with that reason. With the Nook's profile and nothing attached, the
hardware tests skip saying what to connect, without a traceback. The Nook's
own userland (busybox against musl, armel, /dev by mdev) boots on the QEMU
bench and passes every suite there.
"""

import json
import re
import subprocess
from pathlib import Path

import pytest

from pytest_quill.bench.base import BenchOptions, bench_for
from pytest_quill.boot.device import Device
from pytest_quill.engine.meta import read_meta
from pytest_quill.profile import load_profile
from pytest_quill.rootfs.meta import RootfsMeta
from tests.support.child_runs import pytest_argv
from tests.support.run_output import why_red

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
NST_KERNEL = ROOT.parent / "shared" / "sources" / "nst-kernel-3f80ffb9.tar.xz"


def pytest_run(tmp_path, *args, timeout):
    return subprocess.run(
        pytest_argv(*args, "-rs", reports=tmp_path / "reports"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        start_new_session=True,
    )


@pytest.mark.timeout(3600)
def test_a_kernel_panic_closes_gate_4_with_the_panic_lines(tmp_path):
    # /dev/vdb2 does not exist (one disk); without rootwait the kernel panics at once.
    done = pytest_run(
        tmp_path,
        "-n",
        "2",
        "suites/",
        "--quill-set",
        "boot.root_device=/dev/vdb2",
        "--quill-set",
        "boot.bootargs_extra=panic=-1",
        timeout=3000,
    )
    record = json.loads((tmp_path / "reports" / "quill-run.json").read_text())
    gate = next(g for g in record["gates"] if g["number"] == 4)
    assert not gate["open"]
    reason = gate["reason"]
    assert "kernel panic" in reason and "Unable to mount root fs" in reason, reason
    assert done.returncode == 1, done.stdout[-3000:]
    after_power_on = float(re.search(r"at ([\d.]+) s after power-on", reason).group(1))
    assert after_power_on < 30
    log = Path(re.search(r"\(log: (\S+)\)", reason).group(1))
    assert "Kernel panic - not syncing" in log.read_text(errors="replace")

    behind = {
        t["nodeid"]: t["outcome"]
        for t in record["tests"]
        if "/test_d3_" in t["nodeid"] or "/test_d4_" in t["nodeid"]
    }
    assert behind and all(outcome.startswith("skipped") for outcome in behind.values()), behind
    skips = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert any(
        "gate 4 (boot) closed: kernel panic at" in line and "Unable to mount root fs" in line
        for line in skips
    ), done.stdout[-3000:]


@pytest.mark.timeout(900)
def test_hardware_tests_without_a_nook_skip_saying_what_to_connect(tmp_path):
    # A kernel source as a user at the bench gives it (an empty one is bad input, exit 4).
    done = pytest_run(
        tmp_path,
        "-m",
        "hardware",
        "--quill-profile",
        "nook-simple-touch",
        "--quill-set",
        f"kernel.source={NST_KERNEL}",
        "suites/",
        timeout=800,
    )
    output = done.stdout + done.stderr
    # Nothing ran: not a green run, and the bench's (exit 69). The bench check is the one
    # failure, saying what to connect.
    assert done.returncode == 69, output[-3000:]
    assert "Traceback" not in output
    failures = output.split("= FAILURES =", 1)[1]
    assert "quill check: bench (hardware)" in failures
    assert "connect the Nook's serial adapter at /dev/ttyUSB0" in failures
    skips = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skips, output[-3000:]
    assert all("connect the Nook's serial adapter at /dev/ttyUSB0" in line for line in skips), "\n".join(
        skips
    )


@pytest.mark.timeout(3600)
def test_the_nooks_musl_userland_boots_and_passes_every_suite_on_qemu(tmp_path):
    """The Nook profile's [rootfs] on qemu-virt: its kernel is the bench's, the rest is the
    Nook's. devtmpfs.mount=0 keeps the kernel's devtmpfs off /dev, as on 2.6.29, so /dev is
    what mdev makes."""
    nook_rootfs = [
        "target.debian_arch=armel",
        "rootfs.userland=busybox-musl",
        "rootfs.packages=[]",
        "rootfs.init_features=[]",
        "boot.bootargs_extra=rootwait panic=-1 devtmpfs.mount=0",
    ]
    done = pytest_run(
        tmp_path,
        "-n",
        "2",
        "suites/",
        *[arg for setting in nook_rootfs for arg in ("--quill-set", setting)],
        timeout=3000,
    )
    assert done.returncode == 0, why_red(done.stdout)
    record = json.loads((tmp_path / "reports" / "quill-run.json").read_text())
    assert all(gate["open"] for gate in record["gates"]), record["gates"]
    outcomes = [t["outcome"] for t in record["tests"]]
    assert outcomes.count("failed") == 0 and outcomes.count("passed") > 80
    built = {a["name"]: Path(a["path"]) for a in record["artifacts"]}
    meta = read_meta(built["rootfs"], RootfsMeta)
    assert (meta.userland, meta.arch, meta.libc_min_kernel) == ("busybox-musl", "armel", "2.6.22")

    with bench_for(load_profile("qemu-virt"), tmp_path / "again", BenchOptions()) as bench:
        device = Device.boot_card(bench, built["sdcard"] / "card.img", tmp_path / "console.log")
        dev_mount = device.output("grep ' /dev ' /proc/mounts")
        card_node = device.output("ls -l /dev/vda2")
    assert dev_mount.split()[:3] == ["dev", "/dev", "tmpfs"]
    assert card_node.startswith("b")  # a block node mdev made from /sys
    console = (tmp_path / "console.log").read_text(errors="replace")
    assert "squireos: loaded wisdom" in console and "squireos: boot complete" in console
