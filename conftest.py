"""The Nook typewriter MVP: its plan, fixtures and gates are pytest_quill.mvp."""

pytest_plugins = ["pytest_quill.mvp"]
