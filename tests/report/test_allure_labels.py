"""Allure labels, categories and run files (no browser: see test_allure_report_e2e.py)."""

import json
import re
import subprocess
from dataclasses import dataclass

import pytest

from benchmarks.synthetic_inputs import kernel_meta
from pytest_quill.engine.meta import write_meta
from pytest_quill.kernel.meta import KernelMeta
from pytest_quill.report import allure as quill_allure
from pytest_quill.rootfs.meta import RootfsMeta


@dataclass
class Mark:
    name: str
    args: tuple = ()


def test_labels_of_a_gated_suite_test():
    labels = quill_allure.labels_for(
        "suites/d_integration/test_d4_boot.py::test_shell",
        [Mark("gate", (4,)), Mark("hardware"), Mark("timeout", (30,))],
        "D integration",
    )
    assert labels == [
        ("epic", "Nook typewriter MVP"),
        ("feature", "D integration"),
        ("parentSuite", "D integration"),
        ("story", "D4"),
        ("tag", "gate 4"),
        ("tag", "hardware"),
    ]


def test_labels_outside_the_suites_are_only_the_epic():
    assert quill_allure.labels_for("tests/test_cache.py::test_publish", []) == [
        ("epic", "Nook typewriter MVP")
    ]


def test_label_marks_are_what_allure_pytest_reads():
    marks = quill_allure.label_marks("suites/a_kernel/test_a1_config.py::test_x", [], "A kernel")
    assert [(m.name, m.kwargs["label_type"], m.args) for m in marks] == [
        ("allure_label", "epic", ("Nook typewriter MVP",)),
        ("allure_label", "feature", ("A kernel",)),
        ("allure_label", "parentSuite", ("A kernel",)),
        ("allure_label", "story", ("A1",)),
    ]


def category_of(message: str, status: str) -> list[str]:
    return [
        c["name"].split()[0]
        for c in quill_allure.categories()
        if status in c["matchedStatuses"] and re.fullmatch(c["messageRegex"], message)
    ]


@pytest.mark.parametrize(
    "message, status, category",
    [
        ("pytest_quill.errors.BenchError: qemu-system-arm: not found", "broken", "Bench"),
        ("Skipped: gate 3 (convergence) closed: bench: /dev/ttyUSB0 busy", "skipped", "Bench"),
        ("Skipped: gate 3 (convergence) closed: serial port busy", "skipped", "Bench"),
        ("pytest_quill.errors.InputError: --quill-profile x: no such file", "broken", "Input"),
        ("pytest_quill.errors.BuildError: make zImage: error: x.c:3\nmore", "failed", "Build"),
        ("pytest_quill.errors.VerifyError: uImage load address 0x1", "broken", "Build"),
        ("Skipped: gate 1 (build) closed: make zImage: error (log: k.log)", "skipped", "Build"),
        ("Skipped: gate 3 (convergence) closed: build: sfdisk failed", "skipped", "Build"),
        ("Skipped: gate 4 (boot) closed: no shell prompt in 30 s", "skipped", "Boot"),
        ("pytest_quill.errors.BootError: Kernel panic at 2.1 s", "failed", "Boot"),
        ("pytest_quill.errors.ProductError: /proc/squireos/motto empty", "failed", "Product"),
        ("AssertionError: assert 'armel' == 'armhf'\n  - armhf", "failed", "Product"),
    ],
)
def test_each_failure_falls_in_exactly_one_category(message, status, category):
    assert category_of(message, status) == [category]


def test_bench_failures_are_never_counted_as_failed_tests():
    assert category_of("pytest_quill.errors.BenchError: no qemu", "failed") == []


def test_run_files(tmp_path):
    kernel = tmp_path / "cache" / "kernel" / "k1"
    kernel.mkdir(parents=True)
    (kernel / "uImage").write_bytes(b"\x27\x05\x19\x56" + bytes(60))
    write_meta(kernel, kernel_meta(release="6.1.192-quill"))
    (kernel / "build.log").write_text("make: done\n")
    record = {
        "backend": "host",
        "workers": 3,
        "artifacts": [
            {"name": "kernel", "key": "k1", "status": "built", "path": str(kernel)},
            {"name": "rootfs", "key": "r1", "status": "failed", "path": ""},
        ],
        "metrics": {"wall_s": 12.5, "critical_chain": ["kernel"]},
    }
    written = quill_allure.write_run_files(
        tmp_path / "results",
        record,
        "qemu-virt",
        {"bench kind": "qemu", "note": "a=b\nc"},
        meta_types={"kernel": KernelMeta, "rootfs": RootfsMeta},
    )
    assert [p.name for p in written] == ["environment.properties", "categories.json"]
    lines = written[0].read_text().splitlines()
    uimage_sha = subprocess.run(
        ["sha256sum", str(kernel / "uImage")], capture_output=True, text=True, check=True
    ).stdout.split()[0]
    for line in (
        "profile=qemu-virt",
        "backend=host",
        "workers=3",
        "kernel.key=k1",
        "kernel.release=6.1.192-quill",
        f"kernel.uImage.sha256={uimage_sha}",
        "rootfs.status=failed",
        "metrics.wall_s=12.5",
        r"bench\ kind=qemu",
        r"note=a=b\nc",
    ):
        assert line in lines
    assert not [line for line in lines if "build.log" in line or "meta.json" in line]
    assert any(re.fullmatch(r"qemu=QEMU emulator version \d+\.\d+.*", line) for line in lines)
    assert any(re.fullmatch(r"git\.commit=[0-9a-f]{12}(\+dirty)?", line) for line in lines)
    assert json.loads(written[1].read_text()) == quill_allure.categories()


def test_attaching_a_missing_file_is_refused_quietly(tmp_path):
    assert quill_allure.attach_file(tmp_path / "none.log", "build log") is False
    assert quill_allure.attach_run_file(tmp_path / "none.svg", "gantt", "svg") is False


def test_failure_classes_defined_outside_errors_py_are_categorised_by_kind():
    from pytest_quill.errors import BuildError

    class CardNotWritten(BuildError):
        pass

    assert category_of("pytest_quill.card.writer.CardNotWritten: /dev/sdb: short write", "broken") == [
        "Build"
    ]


def test_a_runs_results_carry_the_stream_its_plan_gives_each_suite_folder(pytester):
    pytester.makeconftest(
        "def pytest_quill_declare(plan):\n"
        "    plan.stream('a_kernel', 'A kernel')\n"
        "    plan.gate(1, 'build')(lambda run: None)\n"
    )
    pytester.mkdir("a_kernel")
    pytester.path.joinpath("a_kernel", "test_a1_config.py").write_text("def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", "--quill-reports", "reports", "--alluredir", "allure"
    )
    assert result.ret == 0, result.stdout.str()
    (test,) = [json.loads(p.read_text()) for p in (pytester.path / "allure").glob("*-result.json")]
    assert {"name": "feature", "value": "A kernel"} in test["labels"], test["labels"]


def test_a_meta_json_changed_since_the_run_is_one_line_in_the_environment(tmp_path):
    kernel = tmp_path / "kernel" / "k1"
    kernel.mkdir(parents=True)
    (kernel / "meta.json").write_text('{"schema": 1, "release": 6}')
    record = {
        "backend": "host",
        "workers": 1,
        "artifacts": [{"name": "kernel", "key": "k1", "status": "cached", "path": str(kernel)}],
    }
    entries = quill_allure.environment(record, "qemu-virt", {"kernel": KernelMeta})
    assert entries["kernel.meta"].startswith(f"{kernel / 'meta.json'}: corrupt (KernelMeta: no ")
    assert "kernel.release" not in entries
