"""The hook a project implements (in its root conftest) to declare its plan."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .plan import Plan


def pytest_quill_declare(plan: Plan) -> None:
    """Declare the run's artifacts, gates and checks on `plan` (a pytest_quill.plan.Plan)."""
