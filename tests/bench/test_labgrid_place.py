"""The labgrid lease against a real coordinator and exporter on loopback: a place is
acquired with its resources, waited for while someone else holds it (naming them),
refused after the bound, and released."""

import getpass
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pytest_quill.bench.labgrid import Labgrid
from pytest_quill.bench.labgrid_place import PlaceLease
from pytest_quill.errors import BenchError
from tests.labgrid_lab import Lab
from tests.support.services import free_tcp_port
from tests.support.signals import interruptible

pytestmark = pytest.mark.timeout(120)

PROJECT = Path(__file__).resolve().parents[2]
ME = f"{socket.gethostname()}/{getpass.getuser()}.quill-{os.getpid()}"


def board(console_port: int) -> dict:
    return {
        "console": {"cls": "NetworkSerialPort", "host": "127.0.0.1", "port": console_port},
        "power": {
            "cls": "NetworkPowerPort",
            "model": "simplerest",
            "host": "http://127.0.0.1:9/{index}/{value}",
            "index": 0,
        },
    }


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lab = Lab(tmp_path_factory.mktemp("lab"))
    try:
        lab.export({"b1": board(4001), "b2": board(4002)})
        lab.add_place("nook-1", "b1", {"board": "nook"})
        lab.add_place("nook-2", "b2", {"board": "nook"})
        yield lab
    finally:
        lab.stop()


def lease(lab, said=None, **settings) -> PlaceLease:
    config = Labgrid(**{"coordinator": lab.address, "acquire_timeout_s": 30, **settings})
    return PlaceLease(config, (said if said is not None else []).append)


def test_a_place_is_acquired_with_its_resources_and_released(lab):
    said = []
    held = lease(lab, said, place="nook-1")
    target = held.acquire()
    try:
        console = target.get_resource("NetworkSerialPort", name="console")
        assert (console.host, console.port) == ("127.0.0.1", 4001)
        assert target.get_resource("NetworkPowerPort").model == "simplerest"
        assert f"acquired: {ME}" in lab.client("-p", "nook-1", "show").stdout
    finally:
        held.release()
    assert "nook-1" not in lab.client("who").stdout
    assert said[0].startswith(f"acquired place nook-1 as {ME.split('/')[1]} at ")
    assert said[1].startswith("released place nook-1 at ")


def test_a_held_place_is_waited_for_naming_its_holder_then_given(lab):
    lab.client("-p", "nook-1", "acquire", check=True, user="alice")
    said = []
    waiting = lease(lab, said, place="nook-1")
    releaser = threading.Timer(3, lab.client, ("-p", "nook-1", "release", "--kick"))
    releaser.start()
    try:
        target = waiting.acquire()
        assert target.get_resource("NetworkSerialPort", name="console").port == 4001
    finally:
        releaser.join()
        waiting.release()
    assert said[0].startswith(f"waiting for place nook-1: held by {socket.gethostname()}/alice since")
    assert said[1].startswith("acquired place nook-1")


def test_waiting_is_bounded_and_leaves_the_queue(lab):
    lab.client("-p", "nook-2", "acquire", check=True, user="bob")
    try:
        with pytest.raises(
            BenchError,
            match=r"place nook-2 still held by \S+/bob since .* "
            r"after 2 s \(bench.labgrid.acquire_timeout_s\)",
        ):
            lease(lab, place="nook-2", acquire_timeout_s=2).acquire()
        assert "Reservation" not in lab.client("reservations").stdout
    finally:
        lab.client("-p", "nook-2", "release", "--kick", check=True)


def test_tags_give_each_lease_its_own_free_place(lab):
    first, second = lease(lab, tags=("board=nook",)), lease(lab, tags=("board=nook",))
    try:
        first.acquire()
        second.acquire()
        assert {first.place, second.place} == {"nook-1", "nook-2"}
        with pytest.raises(BenchError, match="a place tagged board=nook still held by "):
            lease(lab, tags=("board=nook",), acquire_timeout_s=1).acquire()
    finally:
        first.release()
        second.release()


def test_an_unknown_place_or_coordinator_is_a_problem_before_any_wait(lab):
    assert lease(lab, place="kindle").problems() == [
        f"labgrid coordinator {lab.address} has no place kindle (bench.labgrid); its places: nook-1, nook-2"
    ]
    nobody = Labgrid(coordinator=f"127.0.0.1:{free_tcp_port()}", place="nook-1")
    with pytest.raises(BenchError, match="labgrid coordinator 127.0.0.1:.* cannot be reached"):
        PlaceLease(nobody, print).problems()


def test_ctrl_c_while_waiting_leaves_the_queue(lab):
    lab.client("-p", "nook-2", "acquire", check=True, user="carol")
    waiting = subprocess.Popen(
        interruptible(
            [
                sys.executable,
                "-c",
                (
                    "from pytest_quill.bench.labgrid_place import PlaceLease\n"
                    "from pytest_quill.bench.labgrid import Labgrid\n"
                    f"PlaceLease(Labgrid(coordinator={lab.address!r}, place='nook-2'), print).acquire()"
                ),
            ]
        ),
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while "state: waiting" not in lab.client("reservations").stdout:
            assert waiting.poll() is None and time.monotonic() < deadline, waiting.stdout.read()
            time.sleep(0.2)
        waiting.send_signal(signal.SIGINT)
        output = waiting.communicate(timeout=30)[0]
        assert "KeyboardInterrupt" in output
        assert "Reservation" not in lab.client("reservations").stdout
    finally:
        waiting.kill()
        lab.client("-p", "nook-2", "release", "--kick", check=True)


# In a process of its own: what gRPC runs there is this lease's doing alone (a test
# before it in a worker may leave gRPC initialised, and its timer threads with it).
HOLD_AND_LIST_GRPC_THREADS = """
import gc, os, time
from pytest_quill.bench.labgrid_place import PlaceLease
from pytest_quill.bench.labgrid import Labgrid


def grpc_threads():
    names = []
    for task in os.listdir("/proc/self/task"):
        try:
            names.append(open(f"/proc/self/task/{task}/comm").read().strip())
        except FileNotFoundError:
            continue  # the thread ended since the listing
    return [n for n in names if n in ("grpc_global_tim", "event_engine", "lifeguard")]


held = PlaceLease(Labgrid(coordinator=%r, place="nook-1", acquire_timeout_s=30), print)
held.acquire()
try:
    gc.collect()
    deadline = time.monotonic() + 20  # a closed channel's threads end soon after (later when busy)
    while grpc_threads() and time.monotonic() < deadline:
        time.sleep(0.1)
    print("grpc threads while held:", grpc_threads())
finally:
    held.release()
"""


def test_a_held_place_leaves_no_grpc_threads_running(lab):
    """Between steps nothing of gRPC runs: the bench forks ssh, dd and the like while it
    holds the place, and a fork while gRPC's threads run can fail in the child."""
    done = subprocess.run(
        [sys.executable, "-c", HOLD_AND_LIST_GRPC_THREADS % lab.address],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "grpc threads while held: []" in done.stdout, done.stdout + done.stderr
