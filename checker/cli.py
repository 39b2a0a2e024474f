"""`check`: a thin command line over ``checker.api``.

    check submit FILE [--exercise ID ...] [--format text|json|junit|gradescope|github|html] [--lang ja|en]
                      [--seed N] [--max-examples N] [--backend local|docker|auto] [--output PATH]
    check list
    check show ID [--lang ja|en]
    check validate
    check data build ...
    check grade-batch DIR|LIST ...

Exit status of `submit`: 0 all graded items passed, 1 something did not pass,
2 the checker could not grade (see ../shared/spec/result-format.md).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="check", description="nlp100-checker: grade NLP 100 chapter 8 (tasks 70–79)")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("submit", help="grade a submission file")
    s.add_argument("file", type=Path)
    s.add_argument("--exercise", "-e", action="append", dest="exercises", metavar="ID", help="grade only this exercise (repeatable)")
    s.add_argument("--format", "-f", default="text", choices=["text", "json", "junit", "gradescope", "github", "html"])
    s.add_argument("--lang", default=os.environ.get("NLP100_LANG", "en"), choices=["en", "ja"])
    s.add_argument("--seed", type=int, default=0, help="seed of the generated inputs (the repro line names it)")
    s.add_argument("--max-examples", type=int, default=None, help="generated inputs per item (default 30)")
    s.add_argument("--backend", default=os.environ.get("NLP100_BACKEND", "local"), choices=["local", "docker", "auto"])
    s.add_argument("--isolation", default="auto", choices=["auto", "bwrap", "rlimits"], help="local backend only")
    s.add_argument("--threads", type=int, default=1, help="torch/BLAS threads inside the sandbox")
    s.add_argument("--data", default="default", help="dataset for 73–79: default, news, or a path made by `check data build`")
    s.add_argument("--output", "-o", type=Path, help="write the report here instead of stdout")
    s.add_argument("--gpus", action="store_true", help="pass a GPU through (docker backend, task 78)")
    s.add_argument("--image", help="grader image (docker backend)")
    s.add_argument("--no-color", action="store_true")

    sub.add_parser("list", help="list the exercises, their items and points")
    sh = sub.add_parser("show", help="print an exercise's statement and starter template")
    sh.add_argument("id")
    sh.add_argument("--lang", default=os.environ.get("NLP100_LANG", "en"), choices=["en", "ja"])
    sh.add_argument("--template-only", action="store_true")
    v = sub.add_parser("validate", help="grade the reference solutions through every exercise; fail unless full marks")
    v.add_argument("--max-examples", type=int, default=None)
    v.add_argument("--record", action="store_true", help="write the recomputed reference accuracies into the specs")
    gb = sub.add_parser("grade-batch", help="grade a whole class: a folder of submissions (files or cloned repositories) or a list")
    gb.add_argument("source", type=Path)
    gb.add_argument("--jobs", "-j", type=int, default=max(1, (os.cpu_count() or 2) // 1))
    gb.add_argument("--out", type=Path, default=Path("results.jsonl"), help="one JSON line per submission (appended; resumable)")
    gb.add_argument("--gradebook", type=Path, default=Path("gradebook.csv"))
    gb.add_argument("--pattern", default="exercise.py", help="the submission's file name inside a repository folder")
    gb.add_argument("--exercise", "-e", action="append", dest="exercises", metavar="ID")
    gb.add_argument("--lang", default="en", choices=["en", "ja"])
    gb.add_argument("--seed", type=int, default=0)
    gb.add_argument("--max-examples", type=int, default=None)
    gb.add_argument("--backend", default=os.environ.get("NLP100_BACKEND", "local"), choices=["local", "docker", "auto"])
    gb.add_argument("--data", default="default")
    d = sub.add_parser("data", help="datasets for 73-79")
    dsub = d.add_subparsers(dest="data_cmd", required=True)
    b = dsub.add_parser("build", help="build the real News Aggregator features (task 70) into the cache")
    from .data_options import add_data_build_arguments

    add_data_build_arguments(b)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.cmd == "submit":
            return _submit(args)
        if args.cmd == "list":
            return _list()
        if args.cmd == "show":
            return _show(args)
        if args.cmd == "validate":
            from .validation import main as validate_main

            return validate_main(args)
        if args.cmd == "grade-batch":
            from .batch import main as batch_main

            return batch_main(args)
        if args.cmd == "data":
            from .data import news

            return news.data_build_main(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 2
    return 2


def _submit(args) -> int:
    from .api import Options, SandboxError, UsageError, grade
    from .report import render

    opts = Options(lang=args.lang, seed=args.seed, backend=args.backend, isolation=args.isolation,
                   threads=args.threads, data=args.data, gpus=args.gpus, image=args.image)
    if args.max_examples is not None:
        opts.max_examples = max(0, args.max_examples)
    if args.output is not None:
        opts.artifacts_dir = args.output.parent / (args.output.stem + "_files")
    progress = None
    if args.format == "text" and sys.stderr.isatty():
        from .progress import Progress

        progress = Progress()
        opts.progress = progress
    try:
        report = grade(args.file, args.exercises, opts)
    except (UsageError, SandboxError) as e:
        kind = "cannot grade" if isinstance(e, SandboxError) else "error"
        print(f"check: {kind}: {e}", file=sys.stderr)
        if isinstance(e, SandboxError):
            if getattr(args, "backend", "local") == "docker":
                print("check: the container could not start; is the Docker engine up and the grader image built (docker/build-image.sh)?", file=sys.stderr)
            else:
                print("check: the sandbox could not start; try `--isolation rlimits`, or install bubblewrap (apt install bubblewrap)", file=sys.stderr)
        return 2
    finally:
        if progress is not None:
            progress.close()
    if not report.exercises:
        print("check: the file defines none of the chapter's functions; `check list` shows them, "
              "`check show 71` gives a template", file=sys.stderr)
        return 2
    colour = args.format == "text" and not args.no_color and args.output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    text = render(report, args.format, **({"colour": colour} if args.format == "text" else {}))
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return report.exit_status


def _list() -> int:
    from .spec import discover

    for ex in discover().values():
        print(f"{ex.id}  {ex.title.en} / {ex.title.ja}  ({ex.points:g} points)")
        for it in ex.items:
            fn = ", ".join(it.requires)
            vis = "" if it.visibility == "public" else "  [hidden]"
            print(f"    {it.name:<34} {it.points:>4g}  {fn}{vis}")
    return 0


def _show(args) -> int:
    from .spec import discover

    exs = discover()
    if args.id not in exs:
        print(f"check: unknown exercise {args.id!r}; `check list` shows the exercises", file=sys.stderr)
        return 2
    ex = exs[args.id]
    if not args.template_only:
        print(ex.statement(args.lang).rstrip())
        if ex.accuracy:
            label = "必要な正解率" if args.lang == "ja" else "required accuracy"
            for k, v in ex.accuracy.items():
                if k.endswith("threshold"):
                    print(f"\n{label} ({k}): {v:.3f}")
        print("\n" + ("# テンプレート" if args.lang == "ja" else "# Template") + f" (exercises/{ex.id}/template.py)\n")
    print(ex.template().rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
