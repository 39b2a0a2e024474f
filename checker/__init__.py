"""nlp100-checker: the autograder for NLP 100 chapter 8 (tasks 70–79).

Public API::

    from checker import grade, Options
    report = grade("exercise.py", exercises=["71"], options=Options(lang="ja"))
    report.score, report.exit_status, report.to_dict()
"""
__version__ = "0.1.0"


from .api import Options, SandboxError, UsageError, grade  # noqa: E402,F401
