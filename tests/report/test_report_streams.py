"""Stream and story of a test from its node id."""

import pytest

from pytest_quill.report.streams import story_of, stream_of


@pytest.mark.parametrize("nodeid, stream, story", [
    ("suites/a_kernel/test_a1_config.py::test_symbols", "A kernel", "A1"),
    ("suites/b_rootfs/test_b12_init.py::TestInit::test_x[armhf]", "B rootfs", "B12"),
    ("suites/c_bench/test_c3.py::test_tools", "C bench", "C3"),
    ("suites/d_integration/test_d4_boot.py::test_shell", "D integration", "D4"),
    ("tests/test_cache.py::test_publish", None, None),
    ("suites/a_kernel/test_alpha.py::test_x", "A kernel", None),
])
def test_stream_and_story(nodeid, stream, story):
    assert stream_of(nodeid) == stream
    assert story_of(nodeid) == story
