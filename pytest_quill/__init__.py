"""pytest-quill: the Nook typewriter MVP as pytest fixtures and quality gates.

The root conftest declares the plan with `artifact(recipe)` (session fixtures
built once per run) and `gate(n, name)` (deciders for `@pytest.mark.gate(n)`).
"""

from .run.store import artifact
from .engine.context import Artifact, BuildContext
from .run.gates import gate

__all__ = ["artifact", "gate", "Artifact", "BuildContext"]
