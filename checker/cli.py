"""`check`: a thin command line over ``checker.api`` and ``checker.commands``.

    check submit FILE [--exercise ID ...] [--format text|json|junit|gradescope|github|html] [--lang ja|en]
                      [--seed N] [--max-examples N] [--backend local|docker|auto] [--output PATH]
    check list
    check show ID [--lang ja|en] [--template-only]
    check validate
    check grade-batch DIR|LIST ...
    check data build ...          (from the chapter-8 pack)

Exit status: 0 all graded items passed, 1 something did not pass, 2 the checker
could not grade (bad arguments, a missing file, a sandbox that cannot start:
every ``CheckerError``); see ../shared/spec/result-format.md.
"""
from __future__ import annotations

import argparse
import sys

from . import __version__
from .errors import CheckerError
from .settings import BACKENDS, ISOLATIONS, LANGS, current


def _parser() -> argparse.ArgumentParser:
    env = current()
    p = argparse.ArgumentParser(prog="check", description="nlp100-checker: grade NLP 100 chapter 8 (tasks 70–79)")
    p.add_argument("--version", action="version", version=f"nlp100-checker {__version__}")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("submit", help="grade a submission file")
    s.add_argument("file")
    s.add_argument("--exercise", "-e", action="append", dest="exercises", metavar="ID", help="grade only this exercise (repeatable)")
    s.add_argument("--format", "-f", default="text", choices=["text", "json", "junit", "gradescope", "github", "html"])
    s.add_argument("--lang", default=env.lang, choices=LANGS)
    s.add_argument("--seed", type=int, default=0, help="seed of the generated inputs (the repro line names it)")
    s.add_argument("--max-examples", type=int, default=None, help="generated inputs per item (default 30)")
    s.add_argument("--backend", default=env.backend, choices=BACKENDS)
    s.add_argument("--isolation", default=env.isolation, choices=ISOLATIONS, help="local backend only")
    s.add_argument("--threads", type=int, default=1, help="torch/BLAS threads inside the sandbox")
    s.add_argument("--data", default="default", help="dataset for 73–79: default, news, or a path made by `check data build`")
    s.add_argument("--output", "-o", help="write the report here instead of stdout")
    s.add_argument("--gpus", action="store_true", help="pass a GPU through (docker backend, task 78)")
    s.add_argument("--image", help="grader image (docker backend)")
    s.add_argument("--no-color", action="store_true")

    sub.add_parser("list", help="list the exercises, their items and points")
    sh = sub.add_parser("show", help="print an exercise's statement and starter template")
    sh.add_argument("id")
    sh.add_argument("--lang", default=env.lang, choices=LANGS)
    sh.add_argument("--template-only", action="store_true")
    v = sub.add_parser("validate", help="grade the reference solutions through every exercise; fail unless full marks")
    v.add_argument("--max-examples", type=int, default=None)
    v.add_argument("--record", action="store_true", help="write the recomputed reference accuracies into the specs")
    gb = sub.add_parser("grade-batch", help="grade a whole class: a folder of submissions (files or cloned repositories) or a list")
    gb.add_argument("source")
    gb.add_argument("--jobs", "-j", type=int, default=2)
    gb.add_argument("--out", default="results.jsonl", help="one JSON line per submission (appended; resumable)")
    gb.add_argument("--gradebook", default="gradebook.csv")
    gb.add_argument("--pattern", default="exercise.py", help="the submission's file name inside a repository folder")
    gb.add_argument("--exercise", "-e", action="append", dest="exercises", metavar="ID")
    gb.add_argument("--lang", default=env.lang, choices=LANGS)
    gb.add_argument("--seed", type=int, default=0)
    gb.add_argument("--max-examples", type=int, default=None)
    gb.add_argument("--backend", default=env.backend, choices=BACKENDS)
    gb.add_argument("--data", default="default")
    _pack_commands(sub)
    return p


def _pack_commands(sub) -> None:
    """Commands an exercise pack adds (chapter 8: ``check data build``); a broken pack is reported when used."""
    try:
        from .spec.packs import installed

        for pack in installed():
            if pack.commands:
                pack.attr(pack.commands)(sub)
    except CheckerError:
        pass


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.cmd == "submit":
            from .commands.submit import main as run
        elif args.cmd == "list":
            from .commands.listing import main as run
        elif args.cmd == "show":
            from .commands.show import main as run
        elif args.cmd == "validate":
            from .commands.validate import main as run
        elif args.cmd == "grade-batch":
            from .commands.batch import main as run
        elif hasattr(args, "run"):
            run = args.run
        else:  # pragma: no cover - argparse requires a command
            return 2
        return run(args)
    except CheckerError as e:
        print(f"check: {e.kind}: {e}", file=sys.stderr)
        if e.hint:
            print(f"check: {e.hint}", file=sys.stderr)
        return e.exit_status
    except KeyboardInterrupt:
        print("check: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
