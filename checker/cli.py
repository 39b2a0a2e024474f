"""`check`: a thin command line over ``checker.api`` and ``checker.commands``.

Each command is a module of ``checker.commands`` with ``register(subparsers)`` (its arguments,
kept free of torch so that starting the CLI stays cheap) and ``main(args) -> int``.  An exercise
pack may add commands of its own (chapter 8: ``check data build``).

Exit status: 0 all graded items passed, 1 something did not pass, 2 the checker could not
grade (bad arguments, a missing file, a sandbox that cannot start: every ``CheckerError``);
see ../shared/spec/result-format.md.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ._version import __version__
from .errors import CheckerError, UsageError
from .messages import Msg, render
from .settings import current

# command modules, in the order `check --help` lists them
COMMANDS = ("submit", "listing", "show", "validate", "new", "batch", "pool", "render", "gradescope", "doctor", "schema")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as a ``UsageError`` (exit 2, no traceback, the usual message)."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        self.print_usage(sys.stderr)
        raise UsageError(msg=Msg("cli_usage", {"prog": self.prog, "detail": message}))


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="check", description="nlp100-checker: grade NLP 100 chapter 8 (tasks 70–79)")
    p.add_argument("--version", action="version", version=f"nlp100-checker {__version__}")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser)
    env = current()
    for name in COMMANDS:
        mod = importlib.import_module(f".commands.{name}", __package__)
        mod.register(sub, env)
    _pack_commands(sub)
    return p


def _pack_commands(sub) -> None:
    """Commands an exercise pack adds; a broken pack is reported when a command needs it."""
    try:
        from .spec.packs import installed

        for pack in installed():
            if pack.commands:
                pack.attr(pack.commands)(sub)
    except CheckerError:
        pass


def main(argv: list[str] | None = None) -> int:
    lang = current().lang
    try:
        args = _parser().parse_args(argv)
        lang = getattr(args, "lang", lang)
        return args.run(args)
    except CheckerError as e:
        print(f"check: {e.label(lang)}: {e.render(lang)}", file=sys.stderr)
        if e.hint:
            print(f"check: {e.hint}", file=sys.stderr)
        return e.exit_status
    except KeyboardInterrupt:
        print(f"check: {render('cli_interrupted', lang)}", file=sys.stderr)
        return 2  # `check submit`: the checker could not grade (result-format: 0, 1 or 2)


if __name__ == "__main__":
    sys.exit(main())
