"""`check submit FILE`: grade one submission and print (or write) the report."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import SandboxError, UsageError
from ..messages import ENGINE, Msg
from ..settings import BACKENDS, ISOLATIONS, LANGS

render_msg = ENGINE.render_msg
FORMATS = ("text", "json", "junit", "gradescope", "github", "html")


def register(sub, env) -> None:
    s = sub.add_parser("submit", help="grade a submission file (.py or .ipynb)")
    s.add_argument("file")
    s.add_argument(
        "--exercise",
        "-e",
        action="append",
        dest="exercises",
        metavar="ID",
        help="grade only this exercise (repeatable)",
    )
    s.add_argument("--format", "-f", default="text", choices=FORMATS)
    s.add_argument("--lang", default=env.lang, choices=LANGS)
    s.add_argument("--seed", type=int, default=0, help="seed of the generated inputs (the repro line names it)")
    s.add_argument("--max-examples", type=int, default=None, help="generated inputs per item (default 30)")
    s.add_argument("--backend", default=env.backend, choices=BACKENDS)
    s.add_argument("--isolation", default=env.isolation, choices=ISOLATIONS, help="local backend only")
    s.add_argument("--threads", type=int, default=1, help="torch/BLAS threads inside the sandbox")
    s.add_argument(
        "--data", default="default", help="dataset for 73–79: default, news, or a path made by `check data build`"
    )
    s.add_argument("--output", "-o", help="write the report here instead of stdout")
    s.add_argument("--gpus", action="store_true", help="pass a GPU through (docker backend, task 78)")
    s.add_argument("--image", help="grader image (docker backend)")
    s.add_argument(
        "--data-secret",
        metavar="FILE",
        help="the instructor's data secret (else NLP100_DATA_SECRET, "
        "or data-secret in the hidden folder); without one the default data is public: a practice grade",
    )
    s.add_argument(
        "--no-pool",
        action="store_true",
        help="start a fresh sandboxed worker even when a warm pool (`check pool start`) answers",
    )
    s.add_argument("--no-color", action="store_true")
    s.set_defaults(run=main)


def check_number(flag: str, value: int | None, lo: int, hi: int) -> None:
    if value is not None and not lo <= value <= hi:
        raise UsageError(msg=Msg("cli_bad_number", {"flag": flag, "value": value, "lo": lo, "hi": hi}))


def check_output(path: str | None) -> Path | None:
    """-o PATH is checked before any grading: its folder exists, and it is not a folder itself."""
    if not path:
        return None
    out = Path(path)
    if out.is_dir():
        raise UsageError(msg=Msg("cli_output_is_dir", {"path": str(out)}))
    if not out.parent.is_dir():
        raise UsageError(msg=Msg("cli_output_no_folder", {"path": str(out), "folder": str(out.parent)}))
    return out


def check_data(name: str) -> None:
    """--data is a name an installed pack knows, or a file or folder that exists (checked before grading)."""
    from pathlib import Path as _P

    from ..spec.packs import installed

    names = sorted({n for p in installed() for n in p.data_names})
    if name in names or _P(name).expanduser().exists():
        return
    raise UsageError(msg=Msg("cli_unknown_data", {"name": name, "names": ", ".join(names)}))


def _running_pool() -> str | None:
    """The socket of a warm pool that answers and is not broken (``NLP100_POOL_SOCKET``, else the user's own)."""
    from ..sandbox import pooled

    path = pooled.configured_socket()
    if not path.exists():
        return None
    info = pooled.status(path, timeout=2.0)
    return str(path) if info and info.get("ok") and not info.get("broken") else None


def rendered(report, fmt: str, no_color: bool, output: Path | None) -> str:
    """The report in ``fmt``; text in colour only on a terminal, without --no-color and NO_COLOR."""
    from ..report import render

    colour = (
        fmt == "text" and not no_color and output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    )
    return render(report, fmt, **({"colour": colour} if fmt == "text" else {}))


def main(args) -> int:
    from ..api import Options, grade
    from ..grading.plan import read_data_secret

    check_number("--threads", args.threads, 1, 64)
    check_number("--max-examples", args.max_examples, 0, 100_000)
    if args.backend == "local" and (args.gpus or args.image):
        raise UsageError(msg=Msg("cli_docker_only", {"flag": "--gpus" if args.gpus else "--image"}))
    output = check_output(args.output)
    check_data(args.data)
    opts = Options(
        lang=args.lang,
        seed=args.seed,
        backend=args.backend,
        isolation=args.isolation,
        threads=args.threads,
        data=args.data,
        gpus=args.gpus,
        image=args.image,
        data_secret=read_data_secret(args.data_secret),
    )
    if args.max_examples is not None:
        opts.max_examples = args.max_examples
    if not args.no_pool:
        opts.pool = _running_pool()
    if output is not None:
        opts.artifacts_dir = output.parent / (output.stem + "_files")
    progress = None
    if args.format == "text" and sys.stderr.isatty():
        from ..progress import Progress

        progress = Progress()
        opts.progress = progress
    try:
        report = grade(Path(args.file), args.exercises, opts)
    except SandboxError as e:
        e.hint = e.hint or render_msg(
            Msg("cli_hint_docker" if args.backend == "docker" else "cli_hint_sandbox"), args.lang
        )
        raise
    finally:
        if progress is not None:
            progress.close()
    if not report.exercises:
        raise UsageError(msg=Msg("cli_no_functions"))
    text = rendered(report, args.format, args.no_color, output)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return report.exit_status
