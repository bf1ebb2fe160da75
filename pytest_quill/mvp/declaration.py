"""The Nook typewriter MVP's plan: its artifacts, streams, boot image, check and gates.

Streams A and B make the kernel and the rootfs (built side by side under
xdist), D1 makes the card from both; the gates say what must hold before the
tests that need it run.
"""

from __future__ import annotations

from ..card import recipe as card_recipe
from ..kernel import recipe as kernel_recipe
from ..plan import Plan
from ..rootfs import recipe as rootfs_recipe
from . import boot_ahead, gates
from .device import CARD_IMAGE

STREAMS = {
    "a_kernel": "A kernel",
    "b_rootfs": "B rootfs",
    "c_bench": "C bench",
    "d_integration": "D integration",
}


def pytest_quill_declare(plan: Plan) -> None:
    plan.artifact(kernel_recipe.RECIPE, fixture="kernel_uimage")
    plan.artifact(rootfs_recipe.RECIPE, fixture="rootfs_tarball")
    plan.artifact(card_recipe.RECIPE, fixture="sd_card")
    plan.boot_image(card_recipe.RECIPE.name, CARD_IMAGE)
    for folder, stream in STREAMS.items():
        plan.stream(folder, stream)
    hardware = "runs on the device the profile's bench provides (QEMU or the real Nook)"
    plan.check(boot_ahead.HARDWARE, "bench", about=hardware)(gates.bench_ready)
    plan.gate(1, "build", needs=("kernel", "rootfs"))(gates.build_gate)
    plan.gate(2, "artifacts")(gates.artifacts_gate)
    plan.gate(3, "convergence", needs=("sdcard",))(gates.convergence_gate)
    plan.gate(boot_ahead.GATE, "boot", ahead=boot_ahead.start)(gates.boot_gate)
