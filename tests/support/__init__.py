"""Helpers shared by the project's tests (fixtures live in conftest files)."""
