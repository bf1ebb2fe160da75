"""pytest-quill: the Nook typewriter MVP as pytest fixtures and quality gates.

A project declares its plan in its root conftest's `pytest_quill_declare(plan)`
hook: `plan.artifact(recipe)` (session fixtures built once per run) and
`plan.gate(n, name)` (deciders for `@pytest.mark.gate(n)`). The Nook MVP's
declaration is pytest_quill.mvp.
"""

__version__ = "0.2.0"  # the one place the version is written (pyproject reads it)

from .engine.context import Artifact, BuildContext  # noqa: E402
from .plan import Plan  # noqa: E402

__all__ = ["Plan", "Artifact", "BuildContext"]
