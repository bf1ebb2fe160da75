"""transfer.host_listing: what this machine holds of a command's units, as the
remote engine lists its side (type, size, mtime, link target)."""

from __future__ import annotations

import os

from pytest_quill.engine.backends import transfer


def test_a_folder_unit_lists_itself_its_files_and_its_links(tmp_path):
    unit = tmp_path / "unit"
    (unit / "sub").mkdir(parents=True)
    (unit / "sub" / "file").write_bytes(b"12345")
    (unit / "link").symlink_to("sub/file")
    listing = transfer.host_listing([unit])
    assert listing[str(unit)] == ("d", 0, 0, "")
    assert listing[str(unit / "sub")] == ("d", 0, 0, "")
    assert listing[str(unit / "sub" / "file")][:2] == ("f", 5)
    assert listing[str(unit / "link")] == ("l", 0, 0, "sub/file")


def test_a_unit_that_is_a_fifo_is_not_listed(tmp_path):
    """Nothing a build leaves for the next step: not sent, and no TypeError either."""
    fifo, regular = tmp_path / "fifo", tmp_path / "file"
    os.mkfifo(fifo)
    regular.write_bytes(b"x")
    assert set(transfer.host_listing([fifo, regular])) == {str(regular)}
