"""The Nook plan supplies what the core once named itself: its artifacts (each
verified by its own recipe), streams, boot image and markers."""

from __future__ import annotations

from pytest_quill.mvp.declaration import pytest_quill_declare
from pytest_quill.plan import BootImage, Plan


def nook_plan() -> Plan:
    plan = Plan()
    pytest_quill_declare(plan)
    return plan


def test_every_artifact_is_verified_by_its_own_recipe():
    plan = nook_plan()
    assert {name: verify.__self__ for name, verify in plan.verifiers.items()} == plan.recipes
    assert sorted(plan.recipes) == ["kernel", "rootfs", "sdcard"]


def test_the_plan_names_its_streams_and_what_a_bench_boots():
    plan = nook_plan()
    assert plan.image == BootImage("sdcard", "card.img")
    assert plan.stream_of("suites/a_kernel/test_a1_config.py::test_x") == "A kernel"
    assert plan.stream_of("suites/d_integration/test_d4_device.py::test_y") == "D integration"
    assert plan.stream_of("tests/test_layout.py::test_z") is None


def test_the_markers_are_those_the_plugin_always_registered():
    assert nook_plan().markers() == [
        "gate(number): the test needs quality gate NUMBER open (1 build, 2 artifacts, "
        "3 convergence, 4 boot); skipped with the root failure when it is closed",
        "hardware: runs on the device the profile's bench provides (QEMU or the real Nook)",
    ]
