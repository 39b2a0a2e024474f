"""`Report.from_dict` and `check render`: a saved JSON result re-rendered without grading.

No grading runs here.  A result file is input from a user's disk: every malformed one
must end as a usage error (exit 2, a message naming the file and the field), never as a
traceback, and every well-formed one must render exactly as the report it was saved from.
"""

from __future__ import annotations

import copy
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.cli import main as cli_main
from checker.commands import render as render_cmd
from checker.errors import UsageError
from checker.grading.records import Report, Status
from checker.report import render
from checker.report.json_ import render_json
from test_reports import _png, make_report

RENDER_FORMATS = render_cmd.FORMATS
MINIMAL = {
    "submission": "exercise.py",
    "exercises": [{"id": "71", "items": [{"name": "softmax", "status": "failed", "score": 0, "max_score": 3}]}],
}


def saved(report: Report) -> dict:
    """What `check submit --format json` writes, read back."""
    return json.loads(render_json(report))


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    rc = cli_main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


# --- Report.from_dict ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_from_dict_round_trips_every_field(lang):
    r = make_report(lang)
    d = saved(r)
    back = Report.from_dict(d)
    assert back.to_dict() == d
    assert back.exit_status == r.exit_status == 2 and back.internal_errors == 1
    assert [(e.id, [i.status for i in e.items]) for e in back.exercises] == [
        (e.id, [i.status for i in e.items]) for e in r.exercises
    ]


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("fmt", RENDER_FORMATS)
def test_a_saved_result_renders_exactly_like_the_report(lang, fmt):
    """Hostile strings, every status, both languages: the saved result gives the same bytes."""
    r = make_report(lang)
    assert render(Report.from_dict(saved(r)), fmt) == render(r, fmt)


def test_from_dict_takes_defaults_for_missing_optional_fields():
    r = Report.from_dict(copy.deepcopy(MINIMAL))
    assert r.lang == "en" and r.seed == 0 and r.notes == [] and r.output is None and r.data is None
    it = r.exercises[0].items[0]
    assert it.status is Status.FAILED and it.message == "" and it.details == [] and it.visibility == "public"
    assert it.counts_to_max is True and it.line is None and it.artifacts == {}
    assert r.score == 0 and r.max_score == 3 and r.exit_status == 1
    for fmt in RENDER_FORMATS:
        assert render(r, fmt)


def test_from_dict_recomputes_derived_fields():
    d = copy.deepcopy(MINIMAL)
    d.update(score=99, max_score=99, exit_status=0, internal_errors=0)
    d["exercises"][0].update(score=99, max_score=99)
    r = Report.from_dict(d)
    assert (r.score, r.max_score, r.exit_status) == (0, 3, 1)


def _with(path: str, value) -> dict:
    d = copy.deepcopy(MINIMAL)
    d["exercises"][0]["items"][0].update(message="m", details=["x"], counterexample={"got": "1"}, artifacts={})
    d.update(output={"stdout": "", "truncated": False}, notes=[])
    keys = [int(k) if k.isdigit() else k for k in path.replace("[", ".").replace("]", "").split(".")]
    node = d
    for k in keys[:-1]:
        node = node[k]
    if value is KeyError:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return d


@pytest.mark.parametrize(
    "path",
    [
        "submission",
        "exercises",
        "exercises[0].id",
        "exercises[0].items",
        "exercises[0].items[0].name",
        "exercises[0].items[0].status",
        "exercises[0].items[0].score",
        "exercises[0].items[0].max_score",
    ],
)
def test_a_missing_required_field_is_named(path):
    with pytest.raises(UsageError) as e:
        Report.from_dict(_with(path, KeyError))
    assert f"`{path}` is missing" in str(e.value)


@pytest.mark.parametrize(
    "path, value, words",
    [
        ("submission", 3, "integer 3, but should be of type string"),
        ("exercises", {}, "object, but should be of type array"),
        ("exercises[0]", "71", 'string "71", but should be of type object'),
        ("exercises[0].items[0].status", "passd", "one of passed, failed"),
        ("exercises[0].items[0].status", "PASSED", "one of passed, failed"),
        ("exercises[0].items[0].score", "3", 'string "3", but should be of type number'),
        ("exercises[0].items[0].score", True, "boolean true, but should be of type number"),
        ("exercises[0].items[0].score", math.nan, "finite number"),
        ("exercises[0].items[0].max_score", -math.inf, "finite number"),
        ("exercises[0].items[0].line", 1.5, "of type integer | null"),
        ("exercises[0].items[0].line", False, "of type integer | null"),
        ("exercises[0].items[0].details", "x", "of type array"),
        ("exercises[0].items[0].details[0]", 7, "of type string"),
        ("exercises[0].items[0].counterexample", [], "of type object | null"),
        ("exercises[0].items[0].counterexample.got", {"a": 1}, "of type string | null"),
        ("exercises[0].items[0].artifacts", {"plot": None}, "of type string"),
        ("exercises[0].items[0].visibility", "secret", "one of public, hidden"),
        ("exercises[0].items[0].internal", "no", "of type boolean"),
        ("exercises[0].items[0].counts_to_max", 1, "of type boolean"),
        ("lang", "fr", "one of en, ja"),
        ("seed", "0", "of type integer"),
        ("notes", [None], "of type string"),
        ("output", "x", "of type object | null"),
        ("output.truncated", "yes", "of type boolean"),
        ("output.stdout", 5, "of type string | null"),
        ("schema", 2, "reads schema 1"),
    ],
)
def test_a_wrong_type_or_value_is_named(path, value, words):
    with pytest.raises(UsageError) as e:
        Report.from_dict(_with(path, value))
    text = str(e.value)
    assert f"`{path}" in text and words in text
    assert e.value.render("ja") != text  # the message exists in Japanese too


def test_the_top_level_must_be_an_object():
    for value in ([], "x", 3, None):
        with pytest.raises(UsageError, match="a result is a JSON object"):
            Report.from_dict(value)


# every JSON value hypothesis can make, to put anywhere in a valid result
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def _nodes(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _nodes(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _nodes(v, path + (i,))


BASE = saved(make_report("en"))
BASE_NODES = list(_nodes(BASE))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(BASE_NODES), JSON_VALUES | st.just(KeyError)), min_size=1, max_size=3))
def test_any_damaged_result_is_a_report_that_renders_or_a_usage_error(edits):
    """Replace or delete any node(s) of a real result: never another exception, in from_dict or a renderer."""
    d = copy.deepcopy(BASE)
    for path, value in edits:
        if not path:
            d = value if value is not KeyError else {}
            continue
        node = d
        try:
            for k in path[:-1]:
                node = node[k]
            if value is KeyError:
                del node[path[-1]]
            else:
                node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed that node
    try:
        r = Report.from_dict(d)
    except UsageError as e:
        assert e.render("en") and e.render("ja")
        return
    for fmt in RENDER_FORMATS + ("json",):
        assert isinstance(render(r, fmt), str)


# --- check render ---------------------------------------------------------------------------------


@pytest.fixture()
def result_file(tmp_path):
    r = make_report("en", hostile=False)
    r.exercises[1].items[3].artifacts = {"curves": "result_files/curves.png"}
    (tmp_path / "result_files").mkdir()
    _png(tmp_path / "result_files" / "curves.png")
    p = tmp_path / "result.json"
    p.write_text(render_json(r), encoding="utf-8")
    return p


@pytest.mark.parametrize("fmt", RENDER_FORMATS)
def test_check_render_prints_what_check_submit_would(capsys, result_file, fmt, monkeypatch):
    monkeypatch.chdir(result_file.parent)
    report = Report.from_dict(json.loads(result_file.read_text(encoding="utf-8")))
    rc, out, err = cli(capsys, "render", str(result_file), "--format", fmt)
    assert rc == 0, err
    assert out == render(report, fmt, **({"colour": False} if fmt == "text" else {}))


def test_check_render_exits_0_whatever_the_grading_status(capsys, result_file):
    assert json.loads(result_file.read_text(encoding="utf-8"))["exit_status"] == 2
    assert cli(capsys, "render", str(result_file), "-f", "github")[0] == 0


def test_check_render_writes_the_output_file_and_chooses_the_labels_language(capsys, result_file, tmp_path):
    out = tmp_path / "junit.xml"
    rc, stdout, _ = cli(capsys, "render", str(result_file), "--format", "junit", "-o", str(out))
    assert rc == 0 and stdout == ""
    assert out.read_text(encoding="utf-8").startswith('<?xml version="1.0"')
    rc, stdout, _ = cli(capsys, "render", str(result_file), "--format", "github", "--lang", "ja")
    assert "| 問題 | 項目 | 状態 | 得点 |" in stdout
    rc, stdout, _ = cli(capsys, "render", str(result_file), "--format", "github")
    assert "| Exercise | Item | Status | Points |" in stdout


def test_check_render_html_finds_the_plots_next_to_the_result(capsys, result_file, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    rc, out, err = cli(capsys, "render", str(result_file), "--format", "html")
    assert rc == 0, err
    assert "data:image/png;base64," in out and "could not be embedded" not in out


def test_check_render_survives_unencodable_text(capsys, tmp_path):
    """A lone surrogate (valid JSON escape, not encodable as UTF-8) in a message: shown escaped, no crash."""
    d = copy.deepcopy(MINIMAL)
    d["exercises"][0]["items"][0]["message"] = "bad \ud800 text"
    p = tmp_path / "r.json"
    p.write_text(json.dumps(d), encoding="ascii")
    for fmt in RENDER_FORMATS:
        rc, out, err = cli(capsys, "render", str(p), "--format", fmt, "-o", str(tmp_path / f"out.{fmt}"))
        assert rc == 0, (fmt, err)
    rc, out, err = cli(capsys, "render", str(p), "--format", "text")
    assert rc == 0 and "bad" in out


def _bad_file(tmp_path, name: str, content) -> str:
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content, encoding="utf-8")
    return str(p)


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda t: str(t / "nope.json"), "there is no such file"),
        (lambda t: str(t), "not a regular file"),
        (lambda t: _bad_file(t, "e.py", "import torch\n"), "not a JSON result"),
        (lambda t: _bad_file(t, "empty.json", ""), "line 1, column 1"),
        (lambda t: _bad_file(t, "cut.json", json.dumps(MINIMAL)[:-5]), "not a JSON result"),
        (lambda t: _bad_file(t, "nan.json", '{"submission": NaN}'), "NaN is not allowed"),
        (lambda t: _bad_file(t, "latin1.json", '{"submission": "é"}'.encode("latin-1")), "not UTF-8"),
        (lambda t: _bad_file(t, "deep.json", "[" * 100000 + "]" * 100000), "not a JSON result"),
        (lambda t: _bad_file(t, "list.json", "[]"), "a result is a JSON object"),
        (
            lambda t: _bad_file(t, "type.json", json.dumps(_with("exercises[0].items[0].score", "3"))),
            "`exercises[0].items[0].score` is string",
        ),
    ],
)
def test_check_render_turns_a_bad_file_into_a_usage_error(capsys, tmp_path, make, words):
    path = make(tmp_path)
    rc, out, err = cli(capsys, "render", path)
    assert rc == 2 and out == ""
    assert err.startswith(f"check: error: cannot render {path}"), err
    assert words in err and "Traceback" not in err


def test_check_render_errors_in_japanese(capsys, tmp_path):
    rc, _, err = cli(capsys, "render", str(tmp_path / "nope.json"), "--lang", "ja")
    assert rc == 2 and "を表示できません" in err


def test_check_render_refuses_a_huge_file(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(render_cmd, "MAX_RESULT_BYTES", 100)
    rc, _, err = cli(capsys, "render", _bad_file(tmp_path, "big.json", json.dumps(MINIMAL) + " " * 200))
    assert rc == 2 and "more than the limit of 100 bytes" in err


def test_check_render_cannot_write(capsys, result_file, tmp_path):
    rc, _, err = cli(capsys, "render", str(result_file), "-o", str(tmp_path / "no" / "such" / "dir.txt"))
    assert rc == 2 and "cannot write" in err and "Traceback" not in err


def test_check_render_rejects_unknown_formats(capsys, result_file):
    rc, _, err = cli(capsys, "render", str(result_file), "--format", "json")
    assert rc == 2 and "invalid choice" in err


def test_a_non_finite_number_in_an_items_facts_is_a_usage_error():
    # found by the test above: {"data": {"": inf}} made the JSON renderer raise ValueError
    for where in ("top", "item"):
        d = copy.deepcopy(BASE)
        if where == "top":
            d["data"] = {"x": [1.0, float("inf")]}
        else:
            d["exercises"][0]["items"][0]["data"] = {"t": float("nan")}
        with pytest.raises(UsageError):
            Report.from_dict(d)
