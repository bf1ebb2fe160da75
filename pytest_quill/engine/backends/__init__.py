"""Where build commands run: this machine (host) or a builder container (docker)."""

from __future__ import annotations

from pathlib import Path

from ...errors import BenchError, InputError
from .base import Backend

BACKENDS = ("auto", "docker", "host")


def check_name(name: str) -> None:
    if name not in BACKENDS:
        raise InputError(f"--quill-backend {name}: unknown; allowed values: {', '.join(BACKENDS)}")


def resolve(name: str) -> str:
    """--quill-backend NAME -> docker or host; auto takes Docker when an engine answers,
    the host when none is configured and none answers. A DOCKER_HOST that does not
    answer is a BenchError naming it, whatever NAME (never a silent switch)."""
    check_name(name)
    if name == "host":
        return "host"
    from .docker import DOCKERD_SCRIPT, chosen_engine, docker_available

    reason = docker_available()
    if reason and chosen_engine():
        raise BenchError(f"--quill-backend {name}: {reason}")
    if name == "docker" and reason:
        raise BenchError(
            f"--quill-backend docker: no Docker engine answers: {reason} "
            f"(start one with sh {DOCKERD_SCRIPT}, or use --quill-backend host)"
        )
    return "host" if reason else "docker"


def make(
    name: str, project_root: Path, cache: Path, log_dir: Path, also_mounted: tuple[Path, ...] = ()
) -> Backend:
    """The backend NAME. Docker's containers see CACHE (where builds work and
    artifacts are staged) and ALSO_MOUNTED; it keeps its builder images' tool
    versions in CACHE."""
    if name == "docker":
        from .docker import DockerBackend

        return DockerBackend(
            project_root,
            mounts=(cache, *also_mounted),
            log_dir=log_dir,
            versions_dir=cache / "toolchains",
        )
    from .host import HostBackend

    return HostBackend()
