"""Backends set up as the store sets them up for one recipe."""

from pytest_quill.engine.backends.docker import DockerBackend
from pytest_quill.kernel import recipe as kernel_recipe


def kernel_docker(profile, project_root, **options) -> DockerBackend:
    """A Docker backend running the kernel recipe's builder image for `profile`."""
    return DockerBackend(project_root, **options).with_toolchain(kernel_recipe.RECIPE.toolchain(profile))
