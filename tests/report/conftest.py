"""Synthetic run records in the format of docs/architecture.md."""

import pytest

from tests.support.run_records import two_worker_record


@pytest.fixture
def run_record() -> dict:
    return two_worker_record()
