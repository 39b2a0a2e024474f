"""`check grade-batch`: the instructor's authoritative run over a whole class.

    check grade-batch DIR|LIST|FILE [--jobs N] [--out results.jsonl] [--gradebook grades.csv]
                      [--pattern exercise.py] [--data-secret FILE | --public-data] [-e ID ...]

DIR holds one submission per entry: a ``.py``/``.ipynb`` file, or a folder (a cloned repository)
in which the submission is the file named ``--pattern`` (default ``exercise.py``), else the one
``.py``/``.ipynb`` file that defines chapter functions.  LIST is a text file with one path per
line; a path that does not exist is a usage error (exit 2).  Only regular files inside each
submission are graded, read once without following links (``checker.batch.files``).

Each submission is graded from those bytes in a grading process of a pool of N
(``checker.batch.procs``); a process that dies is replaced and the submission retried
once, then recorded as a checker fault, which the next run grades again.  One JSON line per
grading is appended to the results file in one write, fsynced; a run started again skips the
lines of the same file *and* the same options (``checker.batch.results``) and grades the rest.
The gradebook CSV is rewritten from the current lines at the end, atomically.

Ctrl-C stops within a second or two (the grading processes and their sandboxes are killed, the
gradebook is written); a second Ctrl-C exits at once.  Exit status: 0 everything graded, 2 a
usage error or checker faults left (run again), 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..batch.run import resolve_isolation, run_batch
from ..errors import UsageError
from ..grading.plan import Options
from ..messages import Msg


def register(sub, env) -> None:
    from ..settings import BACKENDS, ISOLATIONS, LANGS

    gb = sub.add_parser(
        "grade-batch", help="grade a whole class: a folder of submissions (files or cloned repositories) or a list"
    )
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
    gb.add_argument(
        "--isolation",
        default=env.isolation,
        choices=ISOLATIONS,
        help="local backend only; decided once for every submission",
    )
    gb.add_argument("--data", default="default")
    gb.add_argument(
        "--data-secret",
        metavar="FILE",
        help="bytes that seed the test data (else NLP100_DATA_SECRET, "
        "else data-secret in the hidden folder); make one with `head -c 32 /dev/urandom > data-secret`",
    )
    gb.add_argument(
        "--public-data", action="store_true", help="grade on the public data without a secret (practice grades)"
    )
    gb.add_argument(
        "--no-pool", action="store_true", help="a fresh sandboxed worker per submission instead of a warm pool"
    )
    gb.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="grade on an existing Dask distributed cluster")
    gb.add_argument(
        "--cluster", metavar="local:N", help="grade on a Dask LocalCluster of N worker processes started here"
    )
    gb.set_defaults(run=main)


def main(args) -> int:
    from ..grading.plan import read_data_secret

    from .submit import check_data, check_number

    check_data(args.data)
    check_number("--jobs", args.jobs, 1, 64)
    check_number("--max-examples", args.max_examples, 0, 100_000)
    if args.public_data and args.data_secret:
        raise UsageError("grade-batch: --public-data and --data-secret contradict each other")
    secret = None if args.public_data else read_data_secret(args.data_secret)
    if secret is None and not args.public_data:
        raise UsageError(msg=Msg("batch_secret_required", {}))
    opts = Options(
        lang=args.lang,
        seed=args.seed,
        backend=args.backend,
        isolation=args.isolation,
        data=args.data,
        data_secret=secret,
    )
    if args.max_examples is not None:
        opts.max_examples = max(0, args.max_examples)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    if args.scheduler or args.cluster:
        from ..batch.cluster import run_dask_batch

        if args.scheduler and args.cluster:
            raise UsageError(msg=Msg("batch_cluster_conflict", {}))
        # each Dask worker decides its own backend and isolation (once, before its first submission)
        rc = run_dask_batch(
            Path(args.source),
            Path(args.out),
            Path(args.gradebook),
            exercises=args.exercises,
            pattern=args.pattern,
            options=opts,
            log=log,
            scheduler=args.scheduler,
            cluster=args.cluster,
            pool=not args.no_pool,
        )
    else:
        resolve_isolation(opts)
        rc = run_batch(
            Path(args.source),
            Path(args.out),
            Path(args.gradebook),
            jobs=args.jobs,
            exercises=args.exercises,
            pattern=args.pattern,
            options=opts,
            log=log,
            pool=not args.no_pool,
        )
    if rc == 130:
        # Interrupted: everything is written (fsynced lines, the gradebook replaced atomically) and every process of
        # ours is gone. Skip the interpreter's teardown, which takes seconds once torch is imported (the exercise
        # pack's commands import it), so that Ctrl-C ends the command now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    return rc
