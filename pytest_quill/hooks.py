"""The hook a project implements (in its root conftest) to declare its plan."""


def pytest_quill_declare(plan):
    """Declare the run's artifacts, gates and checks on `plan` (a pytest_quill.plan.Plan)."""
