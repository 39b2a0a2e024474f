"""`check show ID`: an exercise's statement and starter template."""
from __future__ import annotations

from ..errors import UsageError
from ..messages import Msg
from ..settings import LANGS


def register(sub, env) -> None:
    sh = sub.add_parser("show", help="print an exercise's statement and starter template")
    sh.add_argument("id")
    sh.add_argument("--lang", default=env.lang, choices=LANGS)
    sh.add_argument("--template-only", action="store_true")
    sh.set_defaults(run=main)


def main(args) -> int:
    from ..spec import discover

    exs = discover()
    if args.id not in exs:
        raise UsageError(msg=Msg("cli_unknown_exercise", {"ids": args.id}))
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
