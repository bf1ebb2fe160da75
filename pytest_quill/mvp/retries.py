"""Device tests retried when the bench failed them (#26): a test whose device was
lost (QEMU died, the console dropped, the power switch did not answer) runs
again on a new device of the same card (started from the judged boot's kept
state, or booted: mvp/device.py fresh_device), as many times as the profile's
bench.attempts allow; a stuck device only with bench.retry_stuck. A failed
assertion or the product's own error is never retried. A test that passed only
after a retry passes, and the run says it was flaky (the `flaky` property: the
record, the summary, JUnit and Allure read it)."""

from __future__ import annotations

import pytest

from ..boot.attempts import PASSED, attempt
from ..boot.device import Device
from ..run.quill_run import RUN_KEY, quill_run
from ..run.record import attempts_text
from ..run.verdict import FLAKY
from .device import policy_of, reboot


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> object | None:
    """Call a device test itself when its bench allows more than one attempt;
    None (pytest calls it) otherwise."""
    if "device" not in pyfuncitem.fixturenames or RUN_KEY not in pyfuncitem.config.stash:
        return None
    run = quill_run(pyfuncitem.config)
    policy = policy_of(run)
    if policy.attempts == 1:
        return None
    device = pyfuncitem.funcargs["device"]
    assert isinstance(device, Device)  # the plan's own fixture
    # What pytest itself passes: the test's own arguments, not the autouse fixtures.
    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}

    def run_test(number: int) -> object:
        if number > 1:
            reboot(run, device, f"retry-{pyfuncitem.name}")
        return pyfuncitem.obj(**arguments)

    outcome = attempt(run_test, lambda _: str(device.console.log_path), policy, done=PASSED)
    if outcome.fault is not None:
        fault = outcome.fault
        if len(outcome.attempts) > 1:
            raise type(fault)(f"{fault.message} ({outcome.summary()})", log=fault.log) from fault
        raise fault
    if outcome.flaky:
        pyfuncitem.user_properties.append((FLAKY, attempts_text(outcome.attempts)))
    return True
