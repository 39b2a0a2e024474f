"""One root for "the checker cannot grade": every command catches ``CheckerError`` and exits 2.

A wrong submission is never one of these: it is graded, and its faults become
``CheckFailure`` records (``checker.grading.outcome``).  These say that the
*checker* could not do its job, and what the user can do about it.
"""

from __future__ import annotations

from .messages import ENGINE, Msg


class CheckerError(Exception):
    """The checker cannot grade. ``exit_status`` is 2; the message says what to do.

    With ``msg`` (a key of the message table) the CLI shows it in the user's language;
    ``str(e)`` is always the English text.
    """

    exit_status = 2
    kind = "error"  # the English label; ``label(lang)`` gives it from the message table

    def __init__(self, message: str = "", *, hint: str = "", msg: Msg | None = None):
        self.msg = msg
        self.message = message or (ENGINE.render_msg(msg, "en") if msg is not None else "")
        super().__init__(self.message)
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def render(self, lang: str = "en") -> str:
        return ENGINE.render_msg(self.msg, lang) if self.msg is not None else self.message

    def label(self, lang: str = "en") -> str:
        return ENGINE.render("cli_kind_" + self.kind.replace(" ", "_"), lang)


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
