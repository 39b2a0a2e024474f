"""`check show ID|all`: an exercise's statement, the numbers the checker uses, and its starter template.

- ``check show 73 [--lang ja]``: the statement, then "Numbers the checker uses" generated from the
  spec (each item's points and parameters, the ``accuracy`` table, the limits; for an exercise of
  kind "functions" the tolerance table of ``checker/numerics/tolerances.py``), every number with a
  one-line explanation from the message table, then the template (``template.ja.py`` with
  ``--lang ja`` where there is one).  Statements never write these numbers themselves: they refer to
  them by name, so a spec can change without a statement going stale.
- ``--template-only``: the template alone, a ``.py`` file's text.
- ``all``: every exercise.  Its template is one full-chapter file: one docstring, the union of the
  templates' imports once, then each exercise's own code under a ``# --- NN. title ---`` banner.
- ``--notebook``: the template as a Jupyter notebook (``template_notebook``; implies ``--template-only``).
- ``-o FILE``: write there instead of stdout.

What goes to stdout is UTF-8 unless stdout is a terminal (a template redirected to a file has to
be UTF-8 to be graded, whatever the console's code page).  Nothing here imports torch, but the
tolerance table of a "functions" exercise.
"""

from __future__ import annotations

import ast
import math
import re
import sys
from pathlib import Path

from ..errors import UsageError
from ..messages import MESSAGES, Catalog, Msg
from ..settings import LANGS

ALL = "all"


def register(sub, env) -> None:
    sh = sub.add_parser(
        "show",
        help="print an exercise's statement, the numbers the checker uses and a starter template "
        "(`all`: the whole chapter)",
    )
    sh.add_argument("id", help="an exercise (`check list`), or `all`")
    sh.add_argument("--lang", default=env.lang, choices=LANGS)
    sh.add_argument("--template-only", action="store_true", help="print only the template (a .py file)")
    sh.add_argument("--notebook", action="store_true", help="the template as a Jupyter notebook (.ipynb)")
    sh.add_argument("--output", "-o", help="write to this file instead of stdout")
    sh.set_defaults(run=main)


# -- the message table (engine + packs), without importing the checks (no torch) ---------------------


def catalog() -> Catalog:
    from ..spec.packs import installed

    tables = [(p.name, p.message_table()) for p in installed()]
    return Catalog(MESSAGES, *(t for _, t in tables), names=("checker.messages", *(n for n, _ in tables)))


# -- templates ---------------------------------------------------------------------------------------


def _last_line(node: ast.stmt) -> int:
    assert node.end_lineno is not None  # ast.parse sets it
    return node.end_lineno


def split_template(source: str) -> tuple[str | None, list[str], str]:
    """(module docstring, top-level import statements as written, the rest of the file)."""
    source = source.replace("\r\n", "\n")
    tree = ast.parse(source)
    lines = source.split("\n")
    skip: set[int] = set()
    doc = ast.get_docstring(tree, clean=True)
    if doc is not None:
        skip |= set(range(tree.body[0].lineno - 1, _last_line(tree.body[0])))
    imports: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            text = ast.get_source_segment(source, node)
            assert text is not None  # a node of this very source
            imports.append(text)
            skip |= set(range(node.lineno - 1, _last_line(node)))
    body = "\n".join(line for i, line in enumerate(lines) if i not in skip)
    body = re.sub(r"\n{4,}", "\n\n\n", body).strip("\n")
    return doc, imports, body


def _import_key(stmt: str) -> tuple:
    node = ast.parse(stmt).body[0]
    assert isinstance(node, (ast.Import, ast.ImportFrom))  # one of split_template's imports
    module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
    top = (module or "").split(".")[0]
    return (
        top != "__future__",
        top not in sys.stdlib_module_names,
        isinstance(node, ast.ImportFrom),
        module or "",
        stmt,
    )


def banner(ex, lang: str) -> str:
    return f"# --- {ex.id}. {ex.title.get(lang)} ---"


def chapter_template(exercises, lang: str, cat: Catalog | None = None) -> str:
    """One file for the whole chapter: one docstring, each import once, then every exercise's own code under its banner."""
    cat = cat or catalog()
    imports: list[str] = []
    bodies = []
    for ex in exercises:
        _, imp, body = split_template(ex.template(lang))
        imports += [i for i in imp if i not in imports]
        bodies.append((ex, body))
    imports.sort(key=_import_key)
    groups: list[list[str]] = []
    last = None
    for stmt in imports:
        group = _import_key(stmt)[:2]
        if group != last:
            groups.append([])
            last = group
        groups[-1].append(stmt)
    doc = cat.render("show_chapter_docstring", lang)
    out = ['"""' + doc.rstrip() + '\n"""']
    out += ["\n".join(g) for g in groups]
    for ex, body in bodies:
        out.append("\n" + banner(ex, lang) + ("\n" + body if body else ""))
    return "\n\n".join(out).rstrip("\n") + "\n"


def notebook(source: str, title: str) -> str:
    from ..grading.source import template_notebook

    return template_notebook(source, title)


# -- the numbers a statement refers to ------------------------------------------------------------------


def _number(v) -> str | None:
    """A spec value as shown, or None when it is not a (finite) number."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return f"{v:g}"


def _explain(cat: Catalog, lang: str, *keys: str) -> str:
    for k in keys:
        if k in cat:
            return cat.render(k, lang)
    return cat.render("show_no_explanation", lang)


def numbers_section(ex, lang: str, cat: Catalog | None = None) -> str:
    """ "Numbers the checker uses": everything of the spec a statement may refer to, each with its explanation."""
    cat = cat or catalog()
    out = [f"## {cat.render('show_numbers_heading', lang)}", "", cat.render("show_numbers_source", lang, id=ex.id), ""]
    per_case = False
    for it in ex.items:
        out.append("- " + cat.render("show_item", lang, name=it.name, points=f"{it.points:g}"))
        for name, value in it.params.items():
            shown = _number(value)
            if shown is not None:
                out.append(
                    f"  - `{name}` = {shown}: " + _explain(cat, lang, f"param_{it.name}_{name}", f"param_{name}")
                )
        if "skipped_counts" in it.model_fields_set:
            out.append(
                f"  - `skipped_counts` = {'true' if it.skipped_counts else 'false'}: "
                + cat.render("show_skipped_counts", lang)
            )
        if it.inputs:
            per_case = True
            out.append(f"  - `budget_s` = {it.budget_s:g}: " + cat.render("show_item_budget_s", lang))
    acc = dict(ex.accuracy)
    if acc:
        out.append("- " + cat.render("show_accuracy", lang))
        lo, hi = acc.pop("lr_low", None), acc.pop("lr_high", None)
        for name, value in acc.items():
            shown = _number(value)
            if shown is not None:
                out.append(f"  - `{name}` = {shown}: " + _explain(cat, lang, f"accuracy_{name}"))
        if _number(lo) is not None and _number(hi) is not None:
            out.append(
                f"  - `lr_low` = {_number(lo)}, `lr_high` = {_number(hi)}: " + _explain(cat, lang, "accuracy_lr_range")
            )
    out.append("- " + cat.render("show_limits", lang))
    for name, value in ex.limits.model_dump().items():
        out.append(f"  - `{name}` = {_number(value)}: " + _explain(cat, lang, f"limit_{name}"))
    if ex.kind == "functions" or per_case:
        out += tolerance_lines(lang, cat)
    return "\n".join(out)


def tolerance_lines(lang: str, cat: Catalog) -> list[str]:
    import torch

    from ..grading.plan import DEFAULT_MAX_EXAMPLES
    from ..numerics.tolerances import GRADIENT, TABLE

    out = ["- " + cat.render("show_tolerances", lang), "  - " + cat.render("show_tolerance_rule", lang)]
    for dtype, tol in TABLE.items():
        out.append(
            "  - "
            + cat.render(
                "show_tolerance_dtype",
                lang,
                dtype=str(dtype).replace("torch.", ""),
                rtol=f"{tol.rtol:g}",
                atol=f"{tol.atol:g}",
                eps_factor=f"{tol.eps_factor:g}",
                eps=f"{torch.finfo(dtype).eps:.3g}",
            )
        )
    out.append(
        "  - " + cat.render("show_tolerance_gradient", lang, rtol=f"{GRADIENT.rtol:g}", atol=f"{GRADIENT.atol:g}")
    )
    out.append("- " + cat.render("show_max_examples", lang, n=DEFAULT_MAX_EXAMPLES))
    return out


# -- the command --------------------------------------------------------------------------------------


def _template_file(ex, lang: str) -> str:
    localised = ex.directory / f"template.{lang}.py"
    return localised.name if lang != "en" and localised.is_file() else "template.py"


def _check_output(path: str | None, notebook_: bool) -> Path | None:
    if not path:
        return None
    out = Path(path)
    if out.is_dir():
        raise UsageError(
            msg=Msg(
                "show_output_is_dir", {"path": str(out), "example": "exercise.ipynb" if notebook_ else "exercise.py"}
            )
        )
    if not out.parent.is_dir():
        raise UsageError(msg=Msg("show_output_no_folder", {"path": str(out), "folder": str(out.parent)}))
    return out


def _write(text: str, output: Path | None, shown: str | None) -> None:
    if output is not None:
        try:
            output.write_bytes(text.encode("utf-8"))
        except OSError as e:
            raise UsageError(
                msg=Msg("show_cannot_write", {"path": shown, "error": e.strerror or type(e).__name__})
            ) from None
        return
    buf = getattr(sys.stdout, "buffer", None)
    if buf is None:
        sys.stdout.write(text)
        return
    enc = (getattr(sys.stdout, "encoding", None) or "utf-8") if sys.stdout.isatty() else "utf-8"
    sys.stdout.flush()
    buf.write(text.encode(enc, "backslashreplace"))
    buf.flush()


def main(args) -> int:
    from ..spec import discover

    exs = discover()
    if args.id != ALL and args.id not in exs:
        raise UsageError(msg=Msg("cli_unknown_exercise", {"ids": args.id}))
    lang = args.lang
    output = _check_output(args.output, args.notebook)
    cat = catalog()
    chosen = list(exs.values()) if args.id == ALL else [exs[args.id]]
    if args.id == ALL:
        source, title = chapter_template(chosen, lang, cat), cat.render("show_chapter_title", lang)
        where = "exercises/*/" + ("template.ja.py" if lang == "ja" else "template.py")
    else:
        ex = chosen[0]
        source, title = ex.template(lang), f"{ex.id}. {ex.title.get(lang)}"
        where = f"exercises/{ex.id}/{_template_file(ex, lang)}"
    if args.notebook:
        _write(notebook(source, title), output, args.output)
        return 0
    parts = []
    if not args.template_only:
        for ex in chosen:
            parts.append(ex.statement(lang).rstrip())
            parts.append(numbers_section(ex, lang, cat))
        parts.append(f"# {cat.render('show_template_heading', lang)} ({where})")
    parts.append(source.rstrip())
    _write("\n\n".join(parts) + "\n", output, args.output)
    return 0
