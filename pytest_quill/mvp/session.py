"""The Nook plan's session hooks: what would be refused later is refused before
anything is built, and the devices --quill-keep-bench left running are named."""

from __future__ import annotations

import pytest

from ..bench.base import bench_class
from ..card import writer
from ..errors import QuillError
from ..kernel import recipe as kernel_recipe
from ..run.quill_run import RUN_KEY, quill_run


def pytest_sessionstart(session: pytest.Session) -> None:
    """A bench whose library is not installed, a kernel input that is missing, a card
    device that will be refused: a usage error before anything is built."""
    run = quill_run(session.config)
    controller = not hasattr(session.config, "workerinput")
    try:
        bench_class(run.profile.bench.kind, run.profile.path)
        if controller:
            # The kernel's inputs (its source, patches, module sources) are read for its key
            # in gate 1 otherwise: a missing one would be a failed gate, not bad input.
            kernel_recipe.RECIPE.fingerprint(run.profile, run.project_root)
        if run.options.sd_device and controller:
            writer.check_target_early(run.options.sd_device, run.profile)
    except QuillError as exc:
        raise pytest.UsageError(exc.one_line()) from None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Devices --quill-keep-bench left running, and how to reach and stop them."""
    if RUN_KEY not in config.stash:
        return
    for event in quill_run(config).state.events():
        if event["kind"] == "bench-kept":
            prefix = f"[quill bench {event['worker']}] "
            terminalreporter.write_line(prefix + f"\n{prefix}".join(event["lines"]))
