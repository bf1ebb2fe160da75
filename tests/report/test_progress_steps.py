"""Build steps read back from a log, the recipe's history beside the cache, the
estimate, and what the watch of a run folder says."""

import json
import re
import time

from pytest_quill.engine.context import step_label
from pytest_quill.report import steps
from pytest_quill.report.progress import RunWatch, decision_line, stages_text
from pytest_quill.report.rundata import BootResult, GateResult

KERNEL_LOG = """\
[quill 10:00:00] waiting for another run's build
[quill 10:00:05] building kernel 1c653b5cfd9e5344136f with the docker backend
[quill 10:00:05] kernel tree reused: /cache/work/kernel-src/tree
[quill 10:00:05] step: command -v ccache
[quill 10:00:05] $ sh -c command -v ccache
/usr/bin/ccache
[quill 10:00:06] step: make zImage modules
[quill 10:00:06] $ make -j2 -C /tree O=/out ARCH=arm zImage modules
make[1]: Entering directory '/out'
  CC      init/main.o
  CC      drivers/squireos/jester.o
  LD      vmlinux
  Kernel: arch/arm/boot/zImage is ready
[quill 10:08:46] step: mkimage arm linux kernel
"""


def test_a_command_is_named_by_its_tool_and_plain_words():
    assert (
        step_label(
            ["make", "-j2", "-C", "/t", "O=/o", "CC=ccache arm-linux-gnueabihf-gcc", "zImage", "modules"]
        )
        == "make zImage modules"
    )
    assert (
        step_label(["sh", "/src/fetch-packages.sh", "/work", "armhf", "bookworm", "http://deb.debian.org"])
        == "fetch-packages.sh armhf bookworm"
    )
    assert step_label(["sh", "-c", "command -v ccache"]) == "command -v ccache"
    assert step_label(["sh", "-c", "ccache --print-stats > /x/stats"]) == "ccache --print-stats"


def test_the_log_of_the_last_build_gives_its_steps_their_times_and_objects():
    found = steps.steps_of(KERNEL_LOG)
    assert [(s.label, s.seconds(), s.units) for s in found] == [
        ("start", 0, 0),
        ("command -v ccache", 1, 0),
        ("make zImage modules", 520, 3),
        ("mkimage arm linux kernel", 0, 0),
    ]


def test_steps_cross_midnight():
    log = "[quill 23:59:50] building x k\n[quill 23:59:55] step: a\n[quill 00:00:15] step: b\n"
    assert [s.seconds() for s in steps.steps_of(log)][:2] == [5, 20]


def test_history_keeps_the_fullest_build_and_estimates_against_it(tmp_path):
    full = tmp_path / "full.log"
    objects = [f"  CC      f{i}.o\n" for i in range(200)]
    full.write_text(
        "[quill 10:00:00] building kernel k\n[quill 10:00:00] step: make zImage\n"
        f"{''.join(objects)}[quill 10:05:00] step: mkimage\n"
    )
    incremental = tmp_path / "incremental.log"
    incremental.write_text(
        "[quill 11:00:00] building kernel k\n[quill 11:00:00] step: make zImage\n"
        "  CC      f1.o\n[quill 11:00:04] step: mkimage\n"
    )
    steps.remember(tmp_path / "cache", "qemu-virt", "kernel", full)
    steps.remember(tmp_path / "cache", "qemu-virt", "kernel", incremental)
    known = steps.expected(tmp_path / "cache", "qemu-virt", "kernel")
    assert known["make zImage"] == {"units": 200, "seconds": 300}
    assert steps.history_file(tmp_path / "cache", "qemu-virt", "kernel").is_file()
    now = steps.steps_of(incremental.read_text().replace("  CC      f1.o\n", "".join(objects[:50])))
    assert steps.estimate(now[1], now[1].start + 40, known) == "~25% (50/200 objects)"
    assert steps.estimate(steps.Step("unheard of", 0, 0), 10, known) == ""
    # a first build has no history: how far it is, said as the objects made so far
    assert steps.estimate(steps.Step("unheard of", 0, 0, 412), 10, known) == "(412 objects)"
    assert steps.expected(tmp_path / "elsewhere", "qemu-virt", "kernel") == {}


def test_a_step_without_objects_is_estimated_by_its_time():
    known = {"docker build": {"units": 0, "seconds": 300}}
    assert steps.estimate(steps.Step("docker build", 100, 100), 190, known) == "~30% of 5:00"


def run_folder(tmp_path, worker="gw1"):
    state, logs = tmp_path / "state", tmp_path / "logs"
    state.mkdir()
    logs.mkdir()
    (state / "artifact-kernel.claim").write_text(json.dumps({"worker": worker}))
    return state, logs


def test_the_watch_says_a_step_once_then_keeps_its_status(tmp_path):
    state, logs = run_folder(tmp_path)
    clock = time.strftime("%H:%M:%S")
    (logs / "kernel.log").write_text(
        f"[quill {clock}] building kernel k\n[quill {clock}] step: make zImage modules\n  CC  a.o\n"
    )
    watch = RunWatch(
        tmp_path,
        lambda recipe: {"make zImage modules": {"units": 4, "seconds": 9}} if recipe == "kernel" else {},
    )
    first = watch.poll()
    assert first.lines == ["kernel [gw1] make zImage modules 0:00"] or first.lines == [
        "kernel [gw1] make zImage modules 0:01"
    ]
    again = watch.poll()
    assert again.lines == [] and again.going["kernel"].startswith("kernel [gw1] make zImage modules")
    (state / "artifact-kernel.json").write_text(json.dumps({"status": "built", "start": 100.0, "end": 142.5}))
    (state / "gate-1.json").write_text(
        json.dumps({"number": 1, "name": "build", "open": True, "reason": "", "start": 100.0, "end": 143.0})
    )
    done = watch.poll()
    assert done.lines == ["kernel [gw1] built in 42.5 s", "gate 1 (build): open in 43.0 s"]
    assert done.going == {} and watch.poll().lines == []


def test_a_failed_artifact_says_why_and_where_its_log_is(tmp_path):
    state, _ = run_folder(tmp_path, worker="main")
    (state / "artifact-kernel.json").write_text(
        json.dumps(
            {
                "status": "failed",
                "start": 1.0,
                "end": 2.0,
                "log": "reports/runs/r/logs/kernel.log",
                "error": "kernel build failed: jester.c:42:7: error: boom",
            }
        )
    )
    assert RunWatch(tmp_path, dict).poll().lines == [
        "kernel [main] failed: kernel build failed: jester.c:42:7: error: boom "
        "(log: reports/runs/r/logs/kernel.log)"
    ]


def test_a_gate_closed_behind_a_lower_one_says_so():
    lower = "gate 1 (build) closed: kernel build failed: boom"
    assert decision_line(GateResult(1, "build", False, lower)) == lower
    assert (
        decision_line(GateResult(2, "artifacts", False, lower))
        == "gate 2 (artifacts): closed, gate 1 (build) is"
    )


def test_the_boot_gate_says_the_boot_and_its_stages_in_order():
    boot = BootResult(boot_time_s=9.8, stages={"shell": 9.8, "bootloader": 1.2, "linux": 3.4})
    assert decision_line(GateResult(4, "boot", True, start=0, end=11), boot) == (
        "gate 4 (boot): open, shell in 9.8 s (bootloader 1.2 s, linux 3.4 s, shell 9.8 s)"
    )
    assert stages_text({}) == ""


def test_a_boot_says_once_that_it_began_then_its_consoles_last_words(tmp_path):
    state, logs = run_folder(tmp_path, worker="gw0")
    (logs / "console-first-boot-gw0.log").write_bytes(b"U-Boot 2023.01\r\n\x1b[0mStarting kernel ...\r\n\r\n")
    (logs / "console-first-boot-gw0.qemu.log").write_text("qemu's own log")
    watch = RunWatch(tmp_path, dict)
    first = watch.poll()
    said = [line for line in first.lines if line.startswith("boot")]
    assert len(said) == 1 and re.fullmatch(
        r"boot \[gw0\] 0:0\d, console log console-first-boot-gw0\.log", said[0]
    )
    assert re.fullmatch(r"boot \[gw0\] 0:0\d: Starting kernel \.\.\.", first.going["boot-gw0"])
    assert [line for line in watch.poll().lines if line.startswith("boot")] == []
