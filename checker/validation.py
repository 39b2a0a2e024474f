"""`check validate`: grade the reference submission through every exercise; fail unless full marks within budget.

It also recomputes the reference's test accuracies (73, 79) and compares them
with the values recorded in the exercise specs, from which the thresholds
are derived (threshold = recorded - margin).  `--record` writes the fresh
values (and thresholds) into the specs.
"""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from .spec import ROOT, discover

REFERENCE = ROOT / "reference" / "submission.py"
BUDGET_S = 90.0
DRIFT = 0.005  # how far a recomputed accuracy may move from the recorded one


def _accuracies(report) -> dict:
    out = {}
    for ex, item in report.items():
        if item.name == "accuracy_threshold":
            out[(ex.id, "linear")] = item.data.get("test_accuracy")
        if item.name == "mlp_accuracy":
            out[(ex.id, "mlp")] = item.data.get("test_accuracy")
    return out


def _record(ex_dir: Path, kind: str, value: float, margin: float) -> None:
    path = ex_dir / "spec.toml"
    text = path.read_text(encoding="utf-8")
    new = f"accuracy = {{ {kind}_reference = {value:.4f}, {kind}_threshold = {max(0.0, value - margin):.4f}, margin = {margin:g} }}"
    text, n = re.subn(r"^accuracy = \{.*\}$", new, text, count=1, flags=re.M)
    if n != 1:
        raise SystemExit(f"{path}: no `accuracy = {{...}}` line to update")
    path.write_text(text, encoding="utf-8")


def main(args) -> int:
    from .api import Options, grade
    from .report import render

    exercises = discover()
    opts = Options()
    if getattr(args, "max_examples", None) is not None:
        opts.max_examples = args.max_examples
    t0 = time.monotonic()
    report = grade(REFERENCE, list(exercises), opts)
    took = time.monotonic() - t0
    sys.stdout.write(render(report, "text"))
    ok = True
    bad = [(e.id, i.name, i.status.value) for e, i in report.items() if i.status.value not in ("passed", "skipped")]
    if bad:
        ok = False
        print(f"validate: the reference does not get full marks: {bad}", file=sys.stderr)
    if took > BUDGET_S:
        ok = False
        print(f"validate: grading the reference took {took:.1f} s, over the budget of {BUDGET_S:.0f} s", file=sys.stderr)
    for (ex_id, kind), value in _accuracies(report).items():
        ex = exercises[ex_id]
        recorded = float(ex.accuracy.get(f"{kind}_reference", 0.0))
        margin = float(ex.accuracy.get("margin", 0.03))
        if value is None:
            continue
        line = f"validate: exercise {ex_id}: reference test accuracy {value:.4f}, recorded {recorded:.4f}, threshold {ex.accuracy.get(f'{kind}_threshold')}"
        print(line, file=sys.stderr)
        if getattr(args, "record", False):
            _record(ex.directory, kind, value, margin)
            print(f"validate: recorded {kind}_reference = {value:.4f} in {ex.directory / 'spec.toml'}", file=sys.stderr)
        elif abs(value - recorded) > DRIFT:
            ok = False
            print(f"validate: exercise {ex_id}: the recomputed accuracy moved by more than {DRIFT} from the recorded one; "
                  "check the data and the reference, then run `check validate --record`", file=sys.stderr)
    print(f"validate: {'OK' if ok else 'FAILED'} ({took:.1f} s)", file=sys.stderr)
    return 0 if ok else 1
