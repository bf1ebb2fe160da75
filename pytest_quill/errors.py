"""Failure classes, so a report says whose problem a failure is (LAVA's split).

bench  -> the machine or the lab (qemu missing, serial port busy): "broken"
input  -> what the user gave (bad profile, unknown option value): usage error
build  -> an artifact could not be made or failed its verification
boot   -> the device did not reach a shell
product-> the MVP itself misbehaves (/proc/squireos wrong): a failed test
"""

from .secrets import redact


class QuillError(Exception):
    """Base of every failure the harness reports on purpose."""

    kind = "quill"

    def __init__(self, message: str, log: str | None = None):
        message = redact(message)  # what a failure says is shown and recorded: no URL's password
        super().__init__(message)
        self.message = message
        self.log = log

    def first_line(self) -> str:
        return self.message.strip().splitlines()[0] if self.message.strip() else self.kind

    def one_line(self) -> str:
        """The message as one line, with the log's path when there is one."""
        return f"{self.first_line()} (log: {self.log})" if self.log else self.first_line()


# Allure shows AssertionErrors as "failed" and anything else as "broken":
# only the bench (infrastructure) is broken, the rest is a real failure.


class InputError(QuillError, AssertionError):
    kind = "input"


class BenchError(QuillError):
    kind = "bench"


class BuildError(QuillError, AssertionError):
    kind = "build"


class VerifyError(BuildError):
    """An artifact was made but breaks a fact of the profile (gate 2/3)."""

    kind = "verify"


class BootError(QuillError, AssertionError):
    kind = "boot"


class ProductError(QuillError, AssertionError):
    kind = "product"


# A device that stopped answering: the first such error is kept by the device,
# and every later call to it fails at once with it instead of waiting again.


class DeviceLost(BenchError):
    """The bench lost the device: QEMU ended or stopped, QMP or the serial port failed."""


class NoAnswer(BootError):
    """The device did not answer within the harness's wait (the device's own fault)."""


class GuestEnded(NoAnswer):
    """The device reset or powered itself off (QEMU ends then, under -no-reboot)."""


DEVICE_GONE = (DeviceLost, NoAnswer)
