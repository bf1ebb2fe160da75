"""The Nook typewriter MVP, declared with the plan. A project loads it as a plugin
from its root conftest (`pytest_plugins = ["pytest_quill.mvp"]`); pytest reads the
hooks and fixtures named here. Where each part lives:

- declaration.py: the plan itself (artifacts, streams, the boot image, check, gates)
- gates.py: where each gate and the hardware check is decided
- device.py: the bench and the booted device of a process
- fixtures.py: the run, profile, bench and device fixtures
- retries.py: a device test the bench failed, run again on a fresh boot
- session.py: refusals before anything is built, the kept benches' summary

The artifacts are made in kernel/, rootfs/ and card/ (each recipe.py), a boot is
judged in boot/judge.py.
"""

from ..problems import refuse
from .declaration import pytest_quill_declare
from .fixtures import bench, console_slice, device, profile, quill, spare_bench
from .gates import artifacts_gate, boot_gate, build_gate, convergence_gate
from .retries import pytest_pyfunc_call
from .session import pytest_sessionstart, pytest_terminal_summary

__all__ = [
    "artifacts_gate",
    "bench",
    "boot_gate",
    "build_gate",
    "console_slice",
    "convergence_gate",
    "device",
    "profile",
    "pytest_pyfunc_call",
    "pytest_quill_declare",
    "pytest_sessionstart",
    "pytest_terminal_summary",
    "quill",
    "refuse",
    "spare_bench",
]
