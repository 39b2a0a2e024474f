"""`check validate` for chapter 8: the reference's test accuracies behind the thresholds of 73 and 79.

The thresholds come from the calibration grid (``benchmarks/calibration_grid.py``); the specs also record the
reference solution's own accuracy, and a recomputed accuracy that moved by more than ``DRIFT`` fails validation
(the data or the reference changed: look again at the calibration).  ``record`` writes the fresh reference values.
"""

from __future__ import annotations

import re
from pathlib import Path

DRIFT = 0.005  # how far a recomputed accuracy may move from the recorded one


def _accuracies(report) -> dict:
    out = {}
    for ex, item in report.items():
        if item.name == "accuracy_threshold":
            out[(ex.id, "linear")] = item.data.get("test_accuracy")
        if item.name == "mlp_accuracy":
            out[(ex.id, "mlp")] = item.data.get("test_accuracy")
    return out


def _record(ex_dir: Path, kind: str, value: float) -> None:
    path = ex_dir / "spec.toml"
    text = path.read_text(encoding="utf-8")
    text, n = re.subn(rf"({kind}_reference = )[0-9.]+", rf"\g<1>{value:.4f}", text, count=1)
    if n != 1:
        raise SystemExit(f"{path}: no `{kind}_reference = ...` to update")
    path.write_text(text, encoding="utf-8")


def after_validate(report, exercises: dict, record: bool) -> list[tuple[str, bool]]:
    """(line, fatal) pairs for `check validate` to print."""
    out = []
    for (ex_id, kind), value in _accuracies(report).items():
        if value is None:
            continue
        ex = exercises[ex_id]
        recorded = float(ex.accuracy.get(f"{kind}_reference", 0.0))
        out.append(
            (
                f"exercise {ex_id}: reference test accuracy {value:.4f}, recorded {recorded:.4f}, "
                f"threshold {ex.accuracy.get(f'{kind}_threshold')}",
                False,
            )
        )
        if record:
            _record(ex.directory, kind, value)
            out.append((f"recorded {kind}_reference = {value:.4f} in {ex.directory / 'spec.toml'}", False))
        elif abs(value - recorded) > DRIFT:
            out.append(
                (
                    f"exercise {ex_id}: the recomputed accuracy moved by more than {DRIFT} from the recorded one; "
                    "check the data and the reference, then run `check validate --record`",
                    True,
                )
            )
    return out
