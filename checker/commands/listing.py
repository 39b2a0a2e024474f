"""`check list`: the exercises, their items and points."""

from __future__ import annotations


def register(sub, env) -> None:
    sub.add_parser("list", help="list the exercises, their items and points").set_defaults(run=main)


def main(args) -> int:
    from ..spec import discover

    for ex in discover().values():
        print(f"{ex.id}  {ex.title.en} / {ex.title.ja}  ({ex.points:g} points)")
        for it in ex.items:
            fn = ", ".join(it.requires)
            vis = "" if it.visibility == "public" else "  [hidden]"
            print(f"    {it.name:<34} {it.points:>4g}  {fn}{vis}")
    return 0
