"""`check schema`: the JSON Schema of spec.toml (for editor completion), generated from the models and the
installed packs' checks."""

from __future__ import annotations

import sys
from pathlib import Path


def register(sub, env) -> None:
    s = sub.add_parser("schema", help="print the JSON Schema of an exercise's spec.toml (for editors)")
    s.add_argument("--output", "-o", help="write it to this file")
    s.set_defaults(run=main)


def main(args) -> int:
    from ..spec.packs import installed
    from ..spec.schema import schema_text
    from ..spec.validation import known_for

    text = schema_text(known_for(installed()))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
