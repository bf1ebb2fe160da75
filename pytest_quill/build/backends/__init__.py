"""Where build commands run: this machine (host) or a builder container (docker)."""

from ...errors import BenchError, InputError
from ...profile import Profile
from .base import Backend

BACKENDS = ("auto", "docker", "host")


def choose(name: str, profile: Profile, project_root) -> Backend:
    """The backend for --quill-backend NAME; auto takes Docker when a daemon answers."""
    from .docker import DockerBackend, docker_available
    from .host import HostBackend

    if name not in BACKENDS:
        raise InputError(f"--quill-backend {name}: unknown; allowed values: {', '.join(BACKENDS)}")
    if name == "host":
        return HostBackend()
    if name == "docker":
        reason = docker_available()
        if reason:
            raise BenchError(f"--quill-backend docker: no Docker engine answers: {reason}")
        return DockerBackend(profile, project_root)
    if docker_available() is None:
        return DockerBackend(profile, project_root)
    return HostBackend()
