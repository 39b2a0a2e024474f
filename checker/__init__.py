"""nlp100-checker: the autograder for NLP 100 chapter 8 (tasks 70–79).

Public API::

    from checker import grade, Options
    report = grade("exercise.py", exercises=["71"], options=Options(lang="ja"))
    report.score, report.exit_status, report.to_dict()

``grade`` raises only ``checker.errors.CheckerError`` (and its subclasses) when it cannot grade.
"""

from ._version import __version__
from .api import Options, grade  # noqa: E402
from .errors import CheckerError, SandboxError, UsageError  # noqa: E402

__all__ = ["__version__", "grade", "Options", "CheckerError", "UsageError", "SandboxError"]
