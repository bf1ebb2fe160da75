"""Boot and device-test attempts: which faults are retried, what each attempt records, and
when a boot is flaky (the policy; tests/bench/test_boot_faults.py gives it real faults)."""

from __future__ import annotations

import pytest

from pytest_quill.boot.attempts import (
    BAD_SIGN,
    BOOTED,
    INFRASTRUCTURE,
    PASSED,
    RESET,
    STUCK,
    Policy,
    attempt,
    cause_of,
)
from pytest_quill.errors import BenchError, BootError, DeviceLost, GuestEnded, NoAnswer


def boots_after(faults):
    """A boot that raises each fault in turn, then boots (returns its attempt number)."""

    def boot(number):
        if number <= len(faults):
            raise faults[number - 1]
        return number

    return boot


def log_of(number):
    return f"console-attempt{number}.log"


@pytest.mark.parametrize(
    "fault, cause",
    [
        (BenchError("the power switch did not answer"), INFRASTRUCTURE),
        (DeviceLost("QEMU (pid 7) ended: killed by signal 9"), INFRASTRUCTURE),
        (NoAnswer("timed out waiting for stage init"), STUCK),
        (GuestEnded("the guest reset or powered itself off"), RESET),
        (BootError("Kernel panic - not syncing: VFS: Unable to mount root fs"), BAD_SIGN),
    ],
)
def test_each_fault_has_its_cause(fault, cause):
    assert cause_of(fault) == cause


def test_an_infrastructure_fault_is_retried_and_the_boot_is_flaky():
    outcome = attempt(boots_after([DeviceLost("QEMU (pid 7) ended")]), log_of, Policy(3))
    assert outcome.result == 2 and outcome.fault is None and outcome.flaky
    assert [(a.number, a.cause, a.error, a.log) for a in outcome.attempts] == [
        (1, INFRASTRUCTURE, "QEMU (pid 7) ended", "console-attempt1.log"),
        (2, BOOTED, "", "console-attempt2.log"),
    ]
    assert outcome.summary() == "attempt 1: infrastructure (QEMU (pid 7) ended); attempt 2: booted"


def test_a_panic_is_never_retried():
    panic = BootError("Kernel panic - not syncing")
    outcome = attempt(boots_after([panic]), log_of, Policy(3, retry_stuck=True))
    assert not outcome.ok and outcome.fault is panic and not outcome.flaky
    assert [a.cause for a in outcome.attempts] == [BAD_SIGN]


def test_a_stuck_boot_is_retried_only_when_the_profile_says_so():
    stuck = [NoAnswer("timed out waiting for stage shell")]
    assert [a.cause for a in attempt(boots_after(stuck), log_of, Policy(2)).attempts] == [STUCK]
    retried = attempt(boots_after(stuck), log_of, Policy(2, retry_stuck=True))
    assert [a.cause for a in retried.attempts] == [STUCK, BOOTED] and retried.flaky


def test_attempts_run_out_with_the_last_fault():
    faults = [BenchError("serial port gone"), BenchError("serial port gone again")]
    outcome = attempt(boots_after(faults), log_of, Policy(2))
    assert not outcome.ok and outcome.fault is faults[1]
    assert [a.cause for a in outcome.attempts] == [INFRASTRUCTURE, INFRASTRUCTURE]


def test_one_attempt_by_default_and_a_first_boot_is_not_flaky():
    assert Policy().attempts == 1
    outcome = attempt(boots_after([]), log_of, Policy())
    assert outcome.result == 1 and not outcome.flaky
    failed = attempt(boots_after([BenchError("no qemu")]), log_of, Policy())
    assert len(failed.attempts) == 1 and not failed.ok


def test_a_device_tests_attempts_end_as_passed_and_anything_but_a_fault_ends_them():
    outcome = attempt(boots_after([DeviceLost("console closed")]), log_of, Policy(2), done=PASSED)
    assert [a.cause for a in outcome.attempts] == [INFRASTRUCTURE, PASSED] and outcome.flaky
    calls = []

    def failed_assertion(number):
        calls.append(number)
        raise AssertionError("the product's")

    with pytest.raises(AssertionError):
        attempt(failed_assertion, log_of, Policy(3))
    assert calls == [1]
