"""Synthetic run records in the format of docs/architecture.md."""


def two_worker_record() -> dict:
    """gw0 builds the kernel inside a kernel test; gw1 builds the rootfs, waits
    for the kernel, decides gate 1, builds the card and boots it."""

    def test(nodeid, worker, start, end, stream):
        return {
            "nodeid": nodeid,
            "worker": worker,
            "start": start,
            "end": end,
            "outcome": "passed",
            "stream": stream,
        }

    def artifact(name, worker, start, end, deps=(), status="built"):
        return {
            "name": name,
            "worker": worker,
            "start": start,
            "end": end,
            "status": status,
            "key": f"{name}-key",
            "log": f"reports/runs/r1/logs/{name}.log",
            "path": f".quill-cache/{name}/{name}-key",
            "backend": "host",
            "error": "",
            "deps": list(deps),
        }

    return {
        "profile": "qemu-virt",
        "workers": 2,
        "backend": "host",
        "started": 1000.0,
        "finished": 1100.0,
        "run_dir": "reports/runs/r1",
        "artifacts": [
            artifact("kernel", "gw0", 1001.0, 1051.0),
            artifact("rootfs", "gw1", 1001.0, 1031.0),
            artifact("sdcard", "gw1", 1051.0, 1053.0, deps=("kernel", "rootfs")),
        ],
        "gates": [
            {
                "number": 1,
                "name": "build",
                "open": True,
                "reason": "",
                "worker": "gw1",
                "start": 1051.0,
                "end": 1051.5,
            }
        ],
        "waits": [{"worker": "gw1", "what": "artifact kernel", "start": 1040.0, "end": 1051.0}],
        "tests": [
            test("suites/a_kernel/test_a1_config.py::test_builds", "gw0", 1000.0, 1060.0, "A kernel"),
            test("suites/a_kernel/test_a2_uimage.py::test_header", "gw0", 1060.0, 1070.0, "A kernel"),
            test("suites/b_rootfs/test_b1_debian.py::test_arch", "gw1", 1000.0, 1040.0, "B rootfs"),
            test("suites/d_integration/test_d4_boot.py::test_shell", "gw1", 1040.0, 1090.0, "D integration"),
        ],
        "boot": {
            "boot_time_s": 3.4,
            "stages": {"bootloader": 0.2},
            "start": 1053.0,
            "end": 1057.0,
            "worker": "gw1",
        },
    }
