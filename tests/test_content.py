"""Chapter 8's content (issue 8): templates students can combine, `check show` with the numbers of the specs,
statements that refer to those numbers instead of writing them, and the labels and notes of a Japanese report.

Fast (no grading; a few `check show` subprocesses).
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections import Counter
from types import SimpleNamespace

import nbformat
import pytest

from checker.commands.show import catalog, chapter_template, numbers_section, split_template
from checker.grading import handwritten
from checker.grading.engine import _isolation_notes
from checker.grading.records import ExerciseRecord, ItemRecord, Report, Status
from checker.grading.source import duplicate_definitions, read_submission, template_notebook
from checker.messages import LANGS, Msg, render
from checker.report import FORMATS, render as render_report
from checker.report.text import display_width, pad
from checker.spec import discover
from conftest import ROOT, run_cli

EXERCISES = discover()
CATALOG = catalog()
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

# what each exercise's template adds to the file (nothing is repeated from an earlier one)
NEW = {
    "70": {"featurize"},
    "71": {"softmax", "predict_proba"},
    "72": {"cross_entropy", "linear_forward", "linear_backward", "softmax_cross_entropy_backward", "loss_and_grad"},
    "73": {"build_model", "train"},
    "74": {"accuracy"},
    "75": {"plot_history"},
    "76": {"save_checkpoint", "load_checkpoint"},  # optional helpers: the checker never calls them
    "77": set(),
    "78": set(),
    "79": {"build_mlp"},
}
STUDENT_API = {f for ex in EXERCISES.values() for f in ex.functions}
TEMPLATES = [(ex_id, lang) for ex_id in sorted(EXERCISES) for lang in LANGS]


def functions(source: str) -> list[str]:
    return [n.name for n in ast.parse(source).body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def without_docstrings(source: str) -> str:
    """The code of a template, docstrings dropped (comments are not in the tree)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


# -- templates ------------------------------------------------------------------------------------------


def test_every_exercise_has_a_japanese_template():
    for ex in EXERCISES.values():
        assert (ex.directory / "template.ja.py").is_file(), ex.id
        assert ex.template("ja") != ex.template("en") and JAPANESE.search(ex.template("ja"))


def test_template_falls_back_to_english(tmp_path):
    ex = EXERCISES["71"]
    (tmp_path / "template.py").write_text("# english only\n", encoding="utf-8")
    alone = ex.model_copy(update={"directory": tmp_path})
    assert alone.template("ja") == alone.template("en") == alone.template() == "# english only\n"
    assert ex.template() == ex.template("en") == (ex.directory / "template.py").read_text(encoding="utf-8")
    assert ex.template("ja") == (ex.directory / "template.ja.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_japanese_template_has_the_same_code(ex_id):
    ex = EXERCISES[ex_id]
    assert without_docstrings(ex.template("ja")) == without_docstrings(ex.template("en"))


@pytest.mark.parametrize("ex_id, lang", TEMPLATES)
def test_template_holds_only_what_is_new_and_every_stub_raises_not_implemented(ex_id, lang):
    source = EXERCISES[ex_id].template(lang)
    tree = ast.parse(source)
    assert ast.get_docstring(tree)
    assert set(functions(source)) == NEW[ex_id]
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            assert ast.get_docstring(node), f"{node.name} has no docstring"
            assert (
                len(body) == 1
                and isinstance(body[0], ast.Raise)
                and ast.unparse(body[0]) == "raise NotImplementedError"
            ), node.name
        else:
            assert isinstance(node, (ast.Expr, ast.Import, ast.ImportFrom)), ast.unparse(
                node
            )  # no other code at module level


def test_the_templates_define_the_student_api_once():
    defined = Counter(f for ex_id in EXERCISES for f in functions(EXERCISES[ex_id].template()))
    assert set(defined) >= STUDENT_API
    assert [f for f, n in defined.items() if n > 1] == []


@pytest.mark.parametrize("lang", LANGS)
def test_train_of_73_has_the_full_signature(lang):
    tree = ast.parse(EXERCISES["73"].template(lang))
    train = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "train")
    assert [a.arg for a in train.args.args] == ["model", "X_train", "y_train", "X_valid", "y_valid"]
    assert [a.arg for a in train.args.kwonlyargs] == ["epochs", "batch_size", "device", "checkpoint_dir", "resume_from"]
    assert [ast.unparse(d) if d is not None else None for d in train.args.kw_defaults] == [
        None,
        None,
        None,
        "None",
        "None",
    ]
    comments = EXERCISES["73"].template(lang)
    for later in ("74", "75", "76", "77", "78", "79"):  # which later exercise extends what
        assert re.search(rf"^\s+# +{later} ", comments, re.M), later


@pytest.mark.parametrize("ex_id, lang", [(e, lang) for e in ("74", "75", "76", "77", "78", "79") for lang in LANGS])
def test_each_template_appended_to_73_defines_no_function_twice(ex_id, lang):
    combined = EXERCISES["73"].template(lang) + "\n\n" + EXERCISES[ex_id].template(lang)
    compile(combined, "combined.py", "exec")
    assert duplicate_definitions(combined) == {}
    assert "train" not in functions(EXERCISES[ex_id].template(lang)) and "build_model" not in functions(
        EXERCISES[ex_id].template(lang)
    )


@pytest.mark.parametrize("ex_id, lang", TEMPLATES)
def test_every_template_round_trips_as_py_and_as_notebook(tmp_path, ex_id, lang):
    ex = EXERCISES[ex_id]
    source = ex.template(lang)
    py = tmp_path / "exercise.py"
    py.write_text(source, encoding="utf-8")
    sf = read_submission(py)
    assert sf.notes == () and sf.text == source
    text = template_notebook(source, f"{ex.id}. {ex.title.get(lang)}")
    nbformat.validate(nbformat.reads(text, as_version=4))
    nb = tmp_path / "exercise.ipynb"
    nb.write_text(text, encoding="utf-8")
    sf = read_submission(nb)
    assert sf.notes == ()
    compile(sf.text, "exercise.ipynb", "exec")
    assert handwritten.defined_functions(sf.text) == handwritten.defined_functions(source)


# -- the whole chapter in one file ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_chapter_template_is_one_valid_file_with_every_function_once(tmp_path, lang):
    source = chapter_template(list(EXERCISES.values()), lang, CATALOG)
    tree = ast.parse(source)
    assert ast.get_docstring(tree) == CATALOG.render("show_chapter_docstring", lang).strip()
    strings = [n for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)]
    assert len(strings) == 1  # one docstring
    defined = Counter(functions(source))
    assert set(defined) >= STUDENT_API and max(defined.values()) == 1
    imports = [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert len(imports) == len(set(imports)) and "import torch" in imports and "import numpy as np" in imports
    first_code = next(i for i, n in enumerate(tree.body) if not isinstance(n, (ast.Expr, ast.Import, ast.ImportFrom)))
    assert all(
        not isinstance(n, (ast.Import, ast.ImportFrom)) for n in tree.body[first_code:]
    )  # imports only at the top
    banners = re.findall(r"^# --- (\d+)\. (.+) ---$", source, re.M)
    assert [b[0] for b in banners] == list(EXERCISES)
    assert [b[1] for b in banners] == [ex.title.get(lang) for ex in EXERCISES.values()]
    for ex in EXERCISES.values():  # each exercise's own code, after its banner
        _, _, body = split_template(ex.template(lang))
        assert body in source
    path = tmp_path / "chapter.py"
    path.write_text(source, encoding="utf-8")
    assert read_submission(path).notes == ()


@pytest.mark.parametrize("lang", LANGS)
def test_show_all_template_only(lang):
    run = run_cli("show", "all", "--template-only", "--lang", lang)
    assert run.returncode == 0, run.stderr
    assert run.stdout == chapter_template(list(EXERCISES.values()), lang, CATALOG)


def test_show_notebooks_to_stdout_and_to_a_file(tmp_path):
    run = run_cli("show", "73", "--template-only", "--notebook", "--lang", "ja")
    assert run.returncode == 0, run.stderr
    nb = nbformat.reads(run.stdout, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].source.startswith(f"# 73. {EXERCISES['73'].title.ja}")
    out = tmp_path / "chapter.ipynb"
    run = run_cli("show", "all", "--notebook", "-o", str(out))
    assert run.returncode == 0 and run.stdout == "", run.stderr
    nb = nbformat.reads(out.read_text(encoding="utf-8"), as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].source.startswith("# " + CATALOG.render("show_chapter_title", "en"))
    sf = read_submission(out)
    assert sf.notes == () and handwritten.defined_functions(sf.text) >= STUDENT_API
    # every banner in order (template_notebook puts a section of comments only, 77 and 78, in the next code cell)
    banners = [ln for c in nb.cells for ln in c.source.splitlines() if ln.startswith("# --- ")]
    assert banners == [f"# --- {ex.id}. {ex.title.en} ---" for ex in EXERCISES.values()]
    assert all(c.source.startswith("# --- ") for c in nb.cells if c.cell_type == "code" and "# --- " in c.source)


def test_show_output_errors_exit_2(tmp_path):
    run = run_cli("show", "73", "--template-only", "-o", str(tmp_path))
    assert run.returncode == 2 and "is a folder" in run.stderr
    run = run_cli("show", "73", "--lang", "ja", "-o", str(tmp_path / "missing" / "x.py"))
    assert run.returncode == 2 and "フォルダー" in run.stderr
    assert run_cli("show", "42").returncode == 2


# -- the numbers a statement refers to ------------------------------------------------------------------------


def spec_numbers(ex) -> dict[str, object]:
    """Every number of the spec `check show` must print: name -> value (per item params, accuracy, limits)."""
    out: dict[str, object] = {}
    for it in ex.items:
        for k, v in it.params.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
                out[k] = v
    out.update({k: v for k, v in ex.accuracy.items() if isinstance(v, (int, float))})
    out.update(ex.limits.model_dump())
    return out


ALL_NUMBER_NAMES = {k for ex in EXERCISES.values() for k in spec_numbers(ex)} | {"skipped_counts", "budget_s"}


@pytest.mark.parametrize("ex_id, lang", TEMPLATES)
def test_numbers_section_shows_every_number_of_the_spec_with_an_explanation(ex_id, lang):
    ex = EXERCISES[ex_id]
    text = numbers_section(ex, lang, CATALOG)
    assert text.startswith("## " + CATALOG.render("show_numbers_heading", lang))
    assert CATALOG.render("show_no_explanation", lang) not in text  # every number has its line in the table
    for it in ex.items:
        assert f"`{it.name}`" in text
        for k, v in it.params.items():
            if (
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            ):  # None, inf: no number to show
                assert f"`{k}` = {v:g}: " in text, k
    for k, v in ex.accuracy.items():
        assert f"`{k}` = {v:g}" in text
    for k, v in ex.limits.model_dump().items():
        assert f"`{k}` = {v:g}: " in text
    if ex.kind == "functions":
        assert "float32: rtol = 1e-05" in text and "float64: rtol = 1e-07" in text
    if lang == "ja":
        assert JAPANESE.search(text)


@pytest.mark.parametrize("ex_id, lang", TEMPLATES)
def test_statement_refers_to_numbers_that_show_prints_and_writes_none(ex_id, lang):
    ex = EXERCISES[ex_id]
    statement = ex.statement(lang)
    shown = numbers_section(ex, lang, CATALOG)
    named = set(re.findall(r"`([a-z_]+)`", statement)) & ALL_NUMBER_NAMES
    # `epochs` and `batch_size` are also `train`'s arguments: a statement may name the argument where the spec has no number
    named -= {"epochs", "batch_size"} - set(spec_numbers(ex))
    for name in named:
        assert f"`{name}` = " in shown, (
            f"the statement of {ex_id} refers to `{name}`, which `check show {ex_id}` does not print"
        )
    assert CATALOG.render("show_numbers_heading", lang) in statement  # "the numbers shown below, under ..."
    for name, value in spec_numbers(ex).items():  # no budget or threshold written out
        if isinstance(value, float) and not value.is_integer() or isinstance(value, (int, float)) and value >= 10:
            assert not re.search(rf"(?<![\w.]){re.escape(f'{value:g}')}(?![\w])", statement), (name, value)
    for it in ex.items:
        assert f"`{it.name}`" in statement


def test_statements_of_both_languages_name_the_same_numbers():
    for ex in EXERCISES.values():
        en, ja = (set(re.findall(r"`([a-z_]+)`", ex.statement(lang))) & ALL_NUMBER_NAMES for lang in ("en", "ja"))
        assert en == ja, ex.id


@pytest.mark.parametrize("lang", LANGS)
def test_show_prints_statement_numbers_and_template(lang):
    run = run_cli("show", "76", "--lang", lang)
    assert run.returncode == 0, run.stderr
    ex = EXERCISES["76"]
    out = run.stdout
    assert (
        out.index(ex.statement(lang).strip().splitlines()[0])
        < out.index("## " + CATALOG.render("show_numbers_heading", lang))
        < out.index(ex.template(lang).strip())
    )
    assert numbers_section(ex, lang, CATALOG) in out
    assert "`resume_rtol` = 0.01" in out or "`resume_rtol` = " in out


# -- Japanese reports: labels, notes, case labels, columns ----------------------------------------------------


def small_report(lang: str, names: list[str]) -> Report:
    items = [
        ItemRecord(name, status, 0 if status != Status.PASSED else 1, 1, message="m")
        for name, status in zip(names, list(Status) * 3)
    ]
    return Report(
        submission="exercise.py",
        sha256="0" * 64,
        checker_version="0.2.0",
        backend="local",
        isolation="bwrap",
        lang=lang,
        seed=0,
        max_examples=30,
        exercises=[ExerciseRecord("73", "確率的勾配降下法による学習", items)],
        duration_s=1.0,
        notes=[render("note_public_checks_only", lang)],
        output={"stdout": "x", "stderr": "y", "truncated": False, "stdout_bytes": 1, "stderr_bytes": 1, "limit_kb": 64},
    )


def test_display_width():
    assert (
        display_width("abc") == 3
        and display_width("合格") == 4
        and display_width("ｱ") == 1
        and display_width("Ａ") == 2
    )
    assert display_width("e\u0301") == 1
    assert display_width(pad("不合格", 10)) == 10 and pad("toolong", 3) == "toolong"


@pytest.mark.parametrize("lang", LANGS)
def test_text_report_columns_align_with_full_width_characters(lang):
    names = ["build_model", "正解率の関数", "ｈｉｓｔｏｒｙ", "loss", "精度_threshold", "x"]
    text = render_report(small_report(lang, names), "text")
    rows = [ln for ln in text.splitlines() if re.match(r"^  [✔✘!⧗\-?] ", ln)]
    assert len(rows) == len(names)
    starts = {display_width(re.match(r"^(.*?)\d+/\d+$", ln).group(1)) for ln in rows}  # the points column
    assert len(starts) == 1, rows
    labels = [render(f"status_{st.value}", lang) for st in list(Status) * 3][: len(names)]
    status_starts = {
        display_width(ln[: ln.index(label, 4 + len(name))]) for ln, name, label in zip(rows, names, labels)
    }
    assert len(status_starts) == 1, rows  # names padded to one width


def test_report_labels_come_from_the_table():
    report = small_report("ja", ["a", "b", "c", "d", "e", "f"])
    text = render_report(report, "text")
    assert "注意: " in text and "標準出力| x" in text and "標準エラー出力| y" in text and "note:" not in text
    gs = json.loads(render_report(report, "gradescope"))["output"]
    assert "注意: " in gs and "標準出力| x" in gs and "stdout|" not in gs
    gh = render_report(report, "github")
    assert "チェッカー 0.2.0" in gh and "標準出力&#124; x" in gh
    page = render_report(report, "html")
    assert ">標準出力</p>" in page and ">stdout</p>" not in page
    en = render_report(small_report("en", ["a"]), "text")
    assert "note: " in en and "stdout| x" in en


def test_counterexample_case_line_is_labelled():
    it = ItemRecord(
        "softmax", Status.FAILED, 0, 3, message="m", counterexample={"input": "f(x)", "case": "dim=0", "repro": "r"}
    )
    report = small_report("ja", ["a"])
    report.exercises[0].items = [it]
    for fmt in ("junit", "github", "gradescope", "html"):
        assert "ケース: dim=0" in render_report(report, fmt), fmt


def test_engine_notes_are_messages():
    ja = _isolation_notes("reduced (bubblewrap not found): rlimits only", "ja")
    assert ja == [render("note_isolation_no_bwrap", "ja")] and JAPANESE.search(ja[0])
    assert _isolation_notes("reduced (rlimits only, by request)", "en") == [render("note_isolation_by_request", "en")]
    assert _isolation_notes("reduced somehow", "ja") == [
        render("note_isolation_reduced", "ja", description="reduced somehow")
    ]
    assert _isolation_notes("bubblewrap: read-only root", "ja") == []
    engine = (ROOT / "checker" / "grading" / "engine.py").read_text(encoding="utf-8")
    assert not re.search(r'notes\.append\(\s*f?"', engine)  # no literal English note left


def test_fixed_case_labels_are_messages_in_both_languages():
    from nlp100_ch08 import spaces

    labels = []
    for name in dir(spaces):
        if name.startswith("space_"):
            labels += [c.label for c in getattr(spaces, name)().fixed]
    assert labels and all(isinstance(m, Msg) and m.key in CATALOG for m in labels)
    assert sum(CATALOG.render_msg(m, "ja") != CATALOG.render_msg(m, "en") for m in labels) >= len(labels) // 2


def test_plot_labels_in_japanese_need_a_font_else_english(monkeypatch):
    from nlp100_ch08.checks import training

    ctx = SimpleNamespace(lang="ja", registry=SimpleNamespace(catalog=CATALOG))
    ctx.text = lambda key, **p: CATALOG.render(key, "ja", **p)
    monkeypatch.setattr(training, "_CJK_FONT", [None])
    text, style = training.plot_text(ctx)
    assert text("plot_epoch") == CATALOG.render("plot_epoch", "en") and style == {}
    monkeypatch.setattr(training, "_CJK_FONT", ["Some CJK Font"])
    text, style = training.plot_text(ctx)
    assert text("plot_epoch") == CATALOG.render("plot_epoch", "ja") and style["font.sans-serif"][0] == "Some CJK Font"


def test_every_format_renders_a_japanese_report():
    report = small_report("ja", ["a", "b", "c", "d", "e", "f"])
    for fmt in FORMATS:
        assert JAPANESE.search(render_report(report, fmt)), fmt
