"""`check validate`: grade each pack's reference solution through its exercises; fail unless full marks within budget.

A pack may add its own checks of the result (``Pack.after_validate``): chapter 8
recomputes the reference's test accuracies behind the thresholds of 73 and 79
and compares them with the values recorded in the specs (``--record`` writes
fresh ones).
"""
from __future__ import annotations

import sys
import time

from ..errors import UsageError

BUDGET_S = 90.0


def register(sub, env) -> None:
    v = sub.add_parser("validate", help="grade the reference solutions through every exercise; fail unless full marks")
    v.add_argument("--max-examples", type=int, default=None)
    v.add_argument("--record", action="store_true", help="write the recomputed reference accuracies into the specs")
    v.set_defaults(run=main)


def main(args) -> int:
    from ..api import Options, grade
    from ..report import render
    from ..spec import discover
    from ..spec.packs import installed

    exercises = discover()
    ok = True
    for pack in installed():
        mine = {k: e for k, e in exercises.items() if e.pack == pack.name}
        solution = pack.solution_path()
        if not mine:
            continue
        if solution is None or not solution.is_file():
            raise UsageError(f"pack {pack.name!r} has no reference solution to validate")
        opts = Options()
        if getattr(args, "max_examples", None) is not None:
            opts.max_examples = args.max_examples
        t0 = time.monotonic()
        report = grade(solution, list(mine), opts)
        took = time.monotonic() - t0
        sys.stdout.write(render(report, "text"))
        bad = [(e.id, i.name, i.status.value) for e, i in report.items() if i.status.value not in ("passed", "skipped")]
        if bad:
            ok = False
            print(f"validate: the reference does not get full marks: {bad}", file=sys.stderr)
        if took > BUDGET_S:
            ok = False
            print(f"validate: grading the reference took {took:.1f} s, over the budget of {BUDGET_S:.0f} s", file=sys.stderr)
        if pack.after_validate:
            for line, fatal in pack.attr(pack.after_validate)(report, mine, bool(getattr(args, "record", False))):
                print(f"validate: {line}", file=sys.stderr)
                ok = ok and not fatal
        print(f"validate: {pack.name}: {'OK' if ok else 'FAILED'} ({took:.1f} s)", file=sys.stderr)
    return 0 if ok else 1
