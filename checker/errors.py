"""One root for "the checker cannot grade": every command catches ``CheckerError`` and exits 2.

A wrong submission is never one of these: it is graded, and its faults become
``CheckFailure`` records (``checker.grading.outcome``).  These say that the
*checker* could not do its job, and what the user can do about it.
"""
from __future__ import annotations


class CheckerError(Exception):
    """The checker cannot grade. ``exit_status`` is 2; the message says what to do."""

    exit_status = 2
    kind = "error"

    def __init__(self, message: str, *, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(CheckerError):
    """Bad arguments, a file that is not there or cannot be read as a submission."""


class SandboxError(CheckerError):
    """The sandbox (local worker or container) could not be started."""

    kind = "cannot grade"


class SpecError(CheckerError):
    """An exercise spec (public or hidden) is invalid: names the file and the field."""

    kind = "invalid exercise spec"


class DatasetError(CheckerError):
    """A dataset cannot be found, built or read."""

    kind = "dataset"


class PackError(CheckerError):
    """An exercise pack cannot be found or loaded."""

    kind = "exercise pack"
