"""The console's reads as pexpect sees them: what the reader thread queued is
taken at once, since pexpect searches its whole buffer after every read."""

import queue

import pexpect
import pytest

from pytest_quill.bench.console import _StreamSpawn


def spawn_with(*chunks: bytes | None) -> _StreamSpawn:
    queued: queue.Queue = queue.Queue()
    for chunk in chunks:
        queued.put(chunk)
    return _StreamSpawn(queued, write=lambda data: None, timeout=1)


def test_a_byte_at_a_time_output_is_read_in_one_go():
    text = "squireos: loaded wisdom\n" * 50
    spawn = spawn_with(*(bytes([byte]) for byte in text.encode()))
    assert spawn.read_nonblocking(2000, timeout=0.1) == text
    assert spawn.read_nonblocking(2000, timeout=0.1) == ""  # nothing more came


def test_the_streams_end_is_read_after_the_bytes_before_it():
    spawn = spawn_with(b"QUILL-", b"SH# ", None)
    assert spawn.read_nonblocking(2000, timeout=0.1) == "QUILL-SH# "
    assert spawn.read_nonblocking(2000, timeout=0.1) == ""  # the end, taken on its own
    with pytest.raises(pexpect.EOF):
        spawn.read_nonblocking(2000, timeout=0.1)
