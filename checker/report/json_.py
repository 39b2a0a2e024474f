"""`--format json`: the object of result-format.md, and nothing else, on stdout."""

from __future__ import annotations

import json


def render_json(report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2, allow_nan=False, default=str)
