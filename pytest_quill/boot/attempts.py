"""Attempts at a boot or at a device test, each ended with its cause (LAVA's split:
the lab's fault or the device's), and the retries a profile allows.

Only a fault of the bench is worth another attempt by default: a serial adapter
that dropped or a QEMU that died says nothing about the card. A boot stuck at a
stage is retried only when the profile says so (bench.retry_stuck); a panic or
another bad console sign is the card's verdict and never retried. What passed
only after a failed attempt is flaky: it passes, and says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..errors import BenchError, GuestEnded, NoAnswer, QuillError

INFRASTRUCTURE = "infrastructure"
STUCK = "stuck"  # no answer within a stage's time
RESET = "reset"  # the device reset or powered itself off
BAD_SIGN = "bad sign"  # a panic, an oops, a pattern a good boot never shows
BOOTED = "booted"  # how a boot attempt ends well
PASSED = "passed"  # how a device test's attempt ends well

Done = TypeVar("Done")


@dataclass(frozen=True)
class Attempt:
    number: int
    cause: str  # BOOTED, PASSED or the class of its fault
    error: str  # the fault's one line; empty when booted
    log: str  # the attempt's console log
    seconds: float

    def record(self) -> dict[str, object]:
        return {
            "number": self.number,
            "cause": self.cause,
            "error": self.error,
            "log": self.log,
            "seconds": round(self.seconds, 2),
        }


@dataclass(frozen=True)
class Policy:
    attempts: int = 1
    retry_stuck: bool = False

    def retries(self, cause: str) -> bool:
        return cause == INFRASTRUCTURE or (cause == STUCK and self.retry_stuck)


def cause_of(fault: QuillError) -> str:
    if isinstance(fault, BenchError):
        return INFRASTRUCTURE
    if isinstance(fault, GuestEnded):
        return RESET
    if isinstance(fault, NoAnswer):
        return STUCK
    return BAD_SIGN


@dataclass
class Outcome(Generic[Done]):
    attempts: list[Attempt]
    result: Done | None = None  # what the attempt that ended well returned
    fault: QuillError | None = None  # the last attempt's, when none ended well

    @property
    def ok(self) -> bool:
        return bool(self.attempts) and self.fault is None

    @property
    def flaky(self) -> bool:
        """Ended well, but not at the first attempt."""
        return self.ok and len(self.attempts) > 1

    def summary(self) -> str:
        """One line: each attempt's cause (and fault), in order."""
        return "; ".join(
            f"attempt {a.number}: {a.cause}" + (f" ({a.error})" if a.error else "") for a in self.attempts
        )


def attempt(
    action: Callable[[int], Done], log_of: Callable[[int], str], policy: Policy, done: str = BOOTED
) -> Outcome[Done]:
    """Run ACTION(attempt number) until one attempt ends well (its cause DONE), a
    fault is not retried or the attempts run out. LOG_OF(number), asked once the
    attempt ended, names its console log. The outcome holds every attempt; a
    QuillError is never raised (the caller decides what a failed outcome means),
    any other exception is not a fault of the bench or the device and ends it."""
    outcome: Outcome[Done] = Outcome(attempts=[])
    for number in range(1, policy.attempts + 1):
        started = time.monotonic()
        try:
            outcome.result = action(number)
        except QuillError as fault:
            cause = cause_of(fault)
            outcome.attempts.append(
                # The attempt's own log is said beside its error
                Attempt(number, cause, fault.first_line(), log_of(number), time.monotonic() - started)
            )
            outcome.fault = fault
            if not policy.retries(cause):
                return outcome
            continue
        outcome.attempts.append(Attempt(number, done, "", log_of(number), time.monotonic() - started))
        outcome.fault = None
        return outcome
    return outcome
