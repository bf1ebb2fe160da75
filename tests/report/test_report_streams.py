"""The story of a test from its file's name (its stream is the plan's: Plan.stream_of)."""

import pytest

from pytest_quill.report.streams import story_of


@pytest.mark.parametrize(
    "nodeid, story",
    [
        ("suites/a_kernel/test_a1_config.py::test_symbols", "A1"),
        ("suites/b_rootfs/test_b12_init.py::TestInit::test_x[armhf]", "B12"),
        ("suites/c_bench/test_c3.py::test_tools", "C3"),
        ("suites/d_integration/test_d4_boot.py::test_shell", "D4"),
        ("tests/test_cache.py::test_publish", None),
        ("suites/a_kernel/test_alpha.py::test_x", None),
    ],
)
def test_story(nodeid, story):
    assert story_of(nodeid) == story
