"""SD card timings: building the image, reading it back, and the sparse writer's
bytes written against the image's size (to an image file standing in for a card).

    .venv/bin/python benchmarks/sdcard.py [--profile qemu-virt] [--runs 3]
        [--kernel ARTIFACT_DIR --rootfs ARTIFACT_DIR]

Without --kernel/--rootfs the inputs are small synthetic ones
(benchmarks/synthetic_inputs.py); with them (published artifact folders
holding meta.json) the real ones. Prints the figures; writes reports/benchmarks/sdcard.json.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from figures import save
from synthetic_inputs import make_kernel, make_rootfs

from pytest_quill.card import readback, writer
from pytest_quill.card import recipe as sdcard
from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.context import Artifact, BuildContext
from pytest_quill.engine.meta import read_meta
from pytest_quill.kernel.meta import KernelMeta
from pytest_quill.profile import load_profile
from pytest_quill.rootfs.meta import RootfsMeta

PROJECT = Path(__file__).resolve().parent.parent
GARBAGE = b"\xa5OLD"


def published(name: str, folder: Path) -> Artifact:
    meta = read_meta(folder, {"kernel": KernelMeta, "rootfs": RootfsMeta}[name])
    return Artifact(name, folder.name, folder, "cached", folder / "build.log", meta)


def synthetic(scratch: Path) -> tuple[Artifact, Artifact]:
    return make_kernel(scratch / "kernel"), make_rootfs(scratch / "rootfs")


def build_once(profile, kernel: Artifact, rootfs: Artifact, folder: Path) -> tuple[float, Artifact]:
    folder.mkdir(parents=True)
    ctx = BuildContext(
        name="sdcard",
        profile=profile,
        out=folder / "card",
        log_path=folder / "build.log",
        backend=HostBackend(),
        deps={"kernel": kernel, "rootfs": rootfs},
        jobs=1,
        work_root=folder / "work",
        project_root=PROJECT,
    )
    ctx.out.mkdir()
    start = time.monotonic()
    meta = sdcard.RECIPE.build(ctx)
    seconds = time.monotonic() - start
    return seconds, Artifact("sdcard", "bench", ctx.out, "built", ctx.log_path, meta)


def timed(action) -> tuple[float, object]:
    start = time.monotonic()
    result = action()
    return time.monotonic() - start, result


def sparse_write(image: Path, device: Path) -> dict:
    """Write the image over a card-sized file of old bytes, as the writer does a card."""
    device.write_bytes(GARBAGE * (image.stat().st_size // len(GARBAGE)))
    report = writer.write_image(image, device)
    return {
        "image_bytes": report.image_bytes,
        "written_bytes": report.written_bytes,
        "written_fraction": round(report.written_bytes / report.image_bytes, 4),
        "ranges": report.ranges,
        "seconds": round(report.seconds, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="qemu-virt")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kernel", type=Path, help="a published kernel artifact folder")
    parser.add_argument("--rootfs", type=Path, help="a published rootfs artifact folder")
    args = parser.parse_args()
    profile = load_profile(args.profile, directory=PROJECT / "hardware_profiles")
    scratch = Path(tempfile.mkdtemp(prefix="sdcard-bench-"))
    try:
        if args.kernel and args.rootfs:
            inputs = "artifacts"
            kernel, rootfs = published("kernel", args.kernel), published("rootfs", args.rootfs)
        else:
            inputs = "synthetic"
            kernel, rootfs = synthetic(scratch)
        builds = [build_once(profile, kernel, rootfs, scratch / f"run{i}") for i in range(args.runs)]
        card = builds[-1][1]
        verify_seconds, problems = timed(lambda: readback.verify(card, profile, kernel, rootfs))
        write = sparse_write(card.file("card.img"), scratch / "device.img")
        build_seconds = [round(seconds, 3) for seconds, _ in builds]
        result = {
            "profile": profile.name,
            "inputs": inputs,
            "runs": args.runs,
            "build_seconds": build_seconds,
            "build_median_s": round(statistics.median(build_seconds), 3),
            "readback_seconds": round(verify_seconds, 3),
            "readback_problems": problems,
            "sparse_write": write,
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"{profile.name}, {inputs} inputs: image build {build_seconds} s "
        f"(median {result['build_median_s']} s); read-back {result['readback_seconds']} s, "
        f"{problems or 'no problem'}"
    )
    print(
        f"sparse write: {write['written_bytes']:,} of {write['image_bytes']:,} bytes "
        f"({write['written_fraction']:.1%}) in {write['ranges']} ranges, "
        f"{write['seconds']} s incl. read-back"
    )
    save("sdcard", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
