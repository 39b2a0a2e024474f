"""The renderers (junit, gradescope, github, html) on Report objects built by hand.

No grading runs here: every status, both languages, and hostile strings (markup, CDATA
ends, control characters, NUL, lone surrogates, workflow-command look-alikes) in every
field a student can influence.
"""

from __future__ import annotations

import html.parser
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checker.grading.records import ExerciseRecord, ItemRecord, Report, Status
from checker.report import FORMATS, render
from checker.report.github import SUMMARY_MARKER, escape_data, escape_property, github_annotations, github_summary
from checker.report.gradescope import gradescope_dict
from checker.report.html import render_html
from checker.report.common import clean
from checker.report.junit import render_junit

ROOT = Path(__file__).resolve().parent.parent

HOSTILE = (
    "</script><script>alert(1)</script><img src=x onerror=alert(2)> ]]> <![CDATA[x]]> & &amp; "
    "\x00NUL \x01\x07\x08\x0b\x0c\x1b[31mred\x1b[0m \x7f \ud800 %0A %25 , : "
    "\r\n::error file=x::injected\n::stop-commands::tok\n| a | b | [link](javascript:alert(3)) *em* `code`"
)
CTRL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

NOT_PASSING = {Status.FAILED, Status.ERROR, Status.TIMEOUT, Status.NOT_IMPLEMENTED}


def make_report(lang: str = "en", hostile: bool = True, artifacts: dict | None = None) -> Report:
    h = HOSTILE if hostile else "plain"
    ce = {
        "input": f"x = tensor([[1., 2.]]) {h}",
        "got": f"tensor([[0.5, 0.5]]) {h}",
        "expected": "tensor([[0.2689, 0.7311]])",
        "repro": f"check submit exercise.py -e 71 --seed 0 # {h}",
    }
    ex71 = ExerciseRecord(
        "71",
        "ソフトマックス関数" if lang == "ja" else "Softmax",
        [
            ItemRecord(
                "softmax",
                Status.FAILED,
                0,
                3,
                message=f"`softmax(x)` is not close {h}",
                counterexample=ce,
                check="mismatch",
                details=[f"Mismatched elements: 1 / 2 {h}", "hint: subtract the maximum"],
                line=12,
                duration_s=0.25,
            ),
            ItemRecord("cross_entropy", Status.PASSED, 2, 2, duration_s=0.1),
            ItemRecord(
                "softmax_cross_entropy_backward",
                Status.ERROR,
                0,
                2,
                message=f"`f(x)` raised ZeroDivisionError: {h}",
                line=30,
                duration_s=0.05,
            ),
            ItemRecord("linear_backward", Status.TIMEOUT, 0, 1.5, message=f"did not return within 10 s {h}", line=44),
            ItemRecord("predict_proba", Status.NOT_IMPLEMENTED, 0, 1, message="`predict_proba` is not defined"),
            ItemRecord("hidden_check", Status.PASSED, 1, 1, visibility="hidden"),
            ItemRecord(
                "hidden_fail", Status.FAILED, 0, 0.5, message=f"hidden failure {h}", visibility="hidden", line=3
            ),
        ],
    )
    ex78 = ExerciseRecord(
        "78",
        "GPU",
        [
            ItemRecord("device", Status.SKIPPED, 0, 2, message=f"skipped: no CUDA device {h}", counts_to_max=False),
            ItemRecord("budget", Status.SKIPPED, 0, 1, message="skipped: the time budget ran out"),
            ItemRecord("internal", Status.ERROR, 0, 1, message=f"internal error: bug {h}", internal=True),
            ItemRecord("curves", Status.PASSED, 1, 1, artifacts=artifacts or {}),
        ],
    )
    return Report(
        submission=f"exercise{'-' + h if hostile else ''}.py",
        sha256="0123456789abcdef" * 4,
        checker_version="0.1.0",
        backend="local",
        isolation=f"bwrap {h}" if hostile else "bwrap",
        lang=lang,
        seed=0,
        max_examples=30,
        exercises=[ex71, ex78],
        duration_s=3.21,
        data={"name": "news", "version": "1", "checksum": "feedbeef" * 8},
        output={
            "stdout": f"training...\n{h}\n::error::from student",
            "stderr": f"warn {h}",
            "truncated": True,
            "stdout_bytes": 70000,
            "stderr_bytes": 10,
            "limit_kb": 64,
        },
        notes=[f"isolation: reduced {h}"],
        repro="check submit exercise.py --seed 0",
    )


@pytest.fixture(params=["en", "ja"])
def report(request) -> Report:
    return make_report(request.param)


def test_dispatch_knows_every_format(report):
    for fmt in FORMATS:
        assert isinstance(render(report, fmt), str)


def test_clean_spells_out_control_characters():
    assert clean("a\x00b\x1bc\ud800\td\ne\rf") == "a\\x00b\\x1bc\\ud800\td\ne\rf"
    assert clean(None) == ""
    assert not CTRL.search(clean(HOSTILE).replace("\r", "").replace("\t", ""))


# --- JUnit ----------------------------------------------------------------------------------

# The Jenkins / xunit-plugin "junit-10.xsd" shape (what Jenkins' junit step and GitLab read).
JUNIT_XSD = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:element name="failure"><xs:complexType mixed="true">
    <xs:attribute name="type" type="xs:string"/><xs:attribute name="message" type="xs:string"/>
  </xs:complexType></xs:element>
  <xs:element name="error"><xs:complexType mixed="true">
    <xs:attribute name="type" type="xs:string"/><xs:attribute name="message" type="xs:string"/>
  </xs:complexType></xs:element>
  <xs:element name="skipped"><xs:complexType mixed="true">
    <xs:attribute name="message" type="xs:string"/>
  </xs:complexType></xs:element>
  <xs:element name="property"><xs:complexType>
    <xs:attribute name="name" type="xs:string" use="required"/>
    <xs:attribute name="value" type="xs:string" use="required"/>
  </xs:complexType></xs:element>
  <xs:element name="properties"><xs:complexType><xs:sequence>
    <xs:element ref="property" maxOccurs="unbounded"/>
  </xs:sequence></xs:complexType></xs:element>
  <xs:element name="system-out" type="xs:string"/>
  <xs:element name="system-err" type="xs:string"/>
  <xs:element name="testcase"><xs:complexType>
    <xs:sequence>
      <xs:element ref="skipped" minOccurs="0"/>
      <xs:element ref="error" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element ref="failure" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element ref="system-out" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element ref="system-err" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
    <xs:attribute name="name" type="xs:string" use="required"/>
    <xs:attribute name="assertions" type="xs:string"/>
    <xs:attribute name="time" type="xs:decimal"/>
    <xs:attribute name="classname" type="xs:string"/>
    <xs:attribute name="status" type="xs:string"/>
  </xs:complexType></xs:element>
  <xs:element name="testsuite"><xs:complexType>
    <xs:sequence>
      <xs:element ref="properties" minOccurs="0" maxOccurs="1"/>
      <xs:element ref="testcase" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element ref="system-out" minOccurs="0" maxOccurs="1"/>
      <xs:element ref="system-err" minOccurs="0" maxOccurs="1"/>
    </xs:sequence>
    <xs:attribute name="name" type="xs:string" use="required"/>
    <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
    <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
    <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
    <xs:attribute name="time" type="xs:decimal"/>
    <xs:attribute name="disabled" type="xs:nonNegativeInteger"/>
    <xs:attribute name="skipped" type="xs:nonNegativeInteger"/>
    <xs:attribute name="timestamp" type="xs:string"/>
    <xs:attribute name="hostname" type="xs:string"/>
    <xs:attribute name="id" type="xs:string"/>
    <xs:attribute name="package" type="xs:string"/>
    <xs:attribute name="file" type="xs:string"/>
    <xs:attribute name="log" type="xs:string"/>
    <xs:attribute name="url" type="xs:string"/>
    <xs:attribute name="version" type="xs:string"/>
  </xs:complexType></xs:element>
  <xs:element name="testsuites"><xs:complexType>
    <xs:sequence><xs:element ref="testsuite" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
    <xs:attribute name="name" type="xs:string"/>
    <xs:attribute name="time" type="xs:decimal"/>
    <xs:attribute name="tests" type="xs:nonNegativeInteger"/>
    <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
    <xs:attribute name="disabled" type="xs:nonNegativeInteger"/>
    <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
  </xs:complexType></xs:element>
</xs:schema>
"""


def test_junit_validates_against_xsd(report):
    etree = pytest.importorskip("lxml.etree", reason="lxml is not installed: `pip install lxml`")
    schema = etree.XMLSchema(etree.fromstring(JUNIT_XSD.encode()))
    doc = etree.fromstring(render_junit(report).encode("utf-8"))
    assert schema.validate(doc), schema.error_log


def test_junit_empty_report_validates():
    etree = pytest.importorskip("lxml.etree")
    r = make_report()
    r.exercises = []
    r.output = None
    schema = etree.XMLSchema(etree.fromstring(JUNIT_XSD.encode()))
    assert schema.validate(etree.fromstring(render_junit(r).encode())), schema.error_log


def _xml_text(s) -> str:
    """What an XML parser gives back for a string: cleaned, line ends normalised to LF."""
    return clean(s).replace("\r\n", "\n").replace("\r", "\n")


def test_junit_structure_and_counts(report):
    root = ET.fromstring(render_junit(report).encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == len(report.exercises)
    for suite, ex in zip(suites, report.exercises):
        assert suite.get("name") == f"{ex.id} {ex.title}"
        assert int(suite.get("tests")) == len(ex.items)
        assert int(suite.get("failures")) == sum(i.status == Status.FAILED for i in ex.items)
        assert int(suite.get("errors")) == sum(
            i.status in (Status.ERROR, Status.TIMEOUT, Status.NOT_IMPLEMENTED) for i in ex.items
        )
        assert int(suite.get("skipped")) == sum(i.status == Status.SKIPPED for i in ex.items)
        float(suite.get("time"))
        props = {p.get("name"): p.get("value") for p in suite.find("properties")}
        assert float(props["score"]) == ex.score and float(props["max_score"]) == ex.max_score
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == [i.name for i in ex.items]
        for case, it in zip(cases, ex.items):
            assert case.get("classname") == f"nlp100.ex{ex.id}"
            assert float(case.get("time")) == pytest.approx(it.duration_s, abs=1e-3)
            children = [c.tag for c in case]
            if it.status == Status.PASSED:
                assert children == []
            elif it.status == Status.FAILED:
                assert children == ["failure"]
            elif it.status == Status.SKIPPED:
                assert children == ["skipped"]
            else:
                assert children == ["error"]
                assert case.find("error").get("type") == it.status.value
            if children:
                el = case[0]
                assert el.get("message") == clean(it.message)  # attributes keep CR (as &#13;)
                assert _xml_text(it.message) in el.text
                for d in it.details:
                    assert _xml_text(d) in el.text
                if it.counterexample:
                    assert _xml_text(it.counterexample["input"]) in el.text
                    assert _xml_text(it.counterexample["repro"]) in el.text
    assert int(root.get("tests")) == sum(len(e.items) for e in report.exercises)
    assert int(root.get("failures")) == sum(i.status == Status.FAILED for _, i in report.items())


def test_junit_carries_hostile_text_verbatim_but_safe(report):
    xml = render_junit(report)
    assert "<script>" not in xml and "<img" not in xml and "<![CDATA[x" not in xml
    assert "\x00" not in xml and "\x1b" not in xml
    root = ET.fromstring(xml.encode("utf-8"))
    failure = root.find("testsuite/testcase[@name='softmax']/failure")
    # The markup comes back as the text it was, and control characters as visible escapes.
    assert "</script><script>alert(1)</script>" in failure.text
    assert "]]> <![CDATA[x]]>" in failure.text
    assert "\\x00NUL" in failure.text and "\\x1b[31m" in failure.text and "\\ud800" in failure.text
    assert "\\x00NUL" in failure.get("message")
    label = "見つかった最小の反例" if report.lang == "ja" else "smallest failing input found"
    assert label in failure.text
    out = root.find("testsuite/system-out")
    assert out is not None and "::error::from student" in out.text


# --- Gradescope ------------------------------------------------------------------------------

VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS_GS = {"text", "html", "simple_format", "md", "ansi"}


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _no_nan(s):
    raise ValueError(f"{s} in results.json")


def test_gradescope_field_types(report):
    text = render(report, "gradescope")
    text.encode("utf-8")  # no lone surrogates
    d = json.loads(text, parse_constant=_no_nan)
    # top level, per https://gradescope-autograders.readthedocs.io/en/latest/specs/
    assert "score" not in d or _number(d["score"])  # absent while hidden items wait for publication
    assert isinstance(d["execution_time"], int) and d["execution_time"] >= 0
    assert isinstance(d["output"], str)
    assert d["visibility"] in VISIBILITIES and d["stdout_visibility"] in VISIBILITIES
    assert d["output_format"] in FORMATS_GS and d["test_output_format"] in FORMATS_GS
    assert d["test_name_format"] in FORMATS_GS
    assert isinstance(d["extra_data"], dict)
    known = {
        "score",
        "execution_time",
        "output",
        "output_format",
        "test_output_format",
        "test_name_format",
        "visibility",
        "stdout_visibility",
        "extra_data",
        "tests",
        "leaderboard",
    }
    assert set(d) <= known
    assert isinstance(d["tests"], list)
    for t in d["tests"]:
        assert set(t) <= {
            "score",
            "max_score",
            "status",
            "name",
            "name_format",
            "number",
            "output",
            "output_format",
            "tags",
            "visibility",
            "extra_data",
        }
        assert isinstance(t["name"], str) and isinstance(t["output"], str) and isinstance(t["number"], str)
        assert _number(t["score"]) and _number(t["max_score"])
        assert 0 <= t["score"] <= t["max_score"] or (t["score"] == 0 and t["max_score"] == 0)
        assert t["status"] in ("passed", "failed")
        assert t["visibility"] in VISIBILITIES
        assert "\x00" not in t["output"] and "\x1b" not in t["output"]


def test_gradescope_scores_names_and_visibility(report):
    d = gradescope_dict(report)
    items = [(e, i) for e, i in report.items()]
    assert len(d["tests"]) == len(items)
    assert "score" not in d and d["extra_data"]["score"] == pytest.approx(report.score)  # it has hidden items
    assert sum(t["score"] for t in d["tests"]) == pytest.approx(report.score)
    assert sum(t["max_score"] for t in d["tests"]) == pytest.approx(report.max_score)
    assert d["extra_data"]["max_score"] == pytest.approx(report.max_score)
    assert d["execution_time"] == 4  # 3.21 s, rounded up
    for t, (ex, it) in zip(d["tests"], items):
        assert t["name"] == f"{ex.id} {it.name}"
        assert t["visibility"] == ("visible" if it.visibility == "public" else "after_published")
        if it.status == Status.PASSED:
            assert t["status"] == "passed"
        elif it.status == Status.SKIPPED and not it.counts_to_max:
            assert t["max_score"] == 0 and t["status"] == "passed"
        else:
            assert t["status"] == "failed"
        if it.status != Status.PASSED:
            assert clean(it.message) in t["output"]
    device = next(t for t in d["tests"] if t["name"] == "78 device")
    assert device["max_score"] == 0
    budget = next(t for t in d["tests"] if t["name"] == "78 budget")
    assert budget["max_score"] == 1 and budget["status"] == "failed"
    softmax = next(t for t in d["tests"] if t["name"] == "71 softmax")
    assert "tensor([[0.2689, 0.7311]])" in softmax["output"]
    assert "check submit exercise.py -e 71 --seed 0" in softmax["output"]
    assert "training..." in d["output"]


def test_gradescope_hidden_points_wait_for_publication(report):
    """Hidden items are `after_published`, and so are their points: the top level has no score
    (Gradescope totals the tests by visibility) and the summary counts public items only."""
    from checker.messages import render as msg
    from checker.report.common import pts

    d = gradescope_dict(report)
    hidden = [(e, i) for e, i in report.items() if i.visibility == "hidden"]
    assert hidden
    assert "score" not in d
    for e, i in hidden:
        t = next(t for t in d["tests"] if t["name"] == f"{e.id} {i.name}")
        assert t["visibility"] == "after_published"
        assert i.name not in d["output"]
        if i.message:
            assert clean(i.message) not in d["output"]
    public = [(e, i) for e, i in report.items() if i.visibility == "public"]
    score = sum(i.score for _, i in public)
    max_score = sum(i.max_score for _, i in public if i.counts_to_max)
    assert f"{msg('total', report.lang)}: {pts(score)}/{pts(max_score)}" in d["output"]
    assert f"{pts(report.score)}/{pts(report.max_score)}" not in d["output"]
    assert msg("gs_hidden_pending", report.lang, n=len(hidden)) in d["output"]
    ex71 = report.exercises[0]
    ex71_public = [i for i in ex71.items if i.visibility == "public"]
    assert (
        f"[71] {ex71.title}  {pts(sum(i.score for i in ex71_public))}/{pts(sum(i.max_score for i in ex71_public))}"
        in d["output"]
    )
    # extra_data (not shown to students) keeps the whole
    assert d["extra_data"]["score"] == pytest.approx(report.score) and d["extra_data"]["max_score"] == pytest.approx(
        report.max_score
    )

    # without hidden items: the top-level score and the full totals, as before
    for ex in report.exercises:
        ex.items = [i for i in ex.items if i.visibility == "public"]
    d = gradescope_dict(report)
    assert d["score"] == pytest.approx(report.score)
    assert f"{msg('total', report.lang)}: {pts(report.score)}/{pts(report.max_score)}" in d["output"]
    assert "hidden_items" not in d["extra_data"]


# --- GitHub ----------------------------------------------------------------------------------


def test_github_escaping_rules():
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert escape_data("a:b,c") == "a:b,c"
    assert escape_data("\x00") == "\\x00"


COMMAND = re.compile(r"^::(error|warning|notice)( ([a-z]+)=([^,:\r\n]*)(,([a-z]+)=([^,:\r\n]*))*)?::[^\r\n]*$")


def _unescape(s: str) -> str:
    return s.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_github_annotations(report):
    lines = github_annotations(report).splitlines()
    for ln in lines:
        assert COMMAND.match(ln), ln
    errors = [ln for ln in lines if ln.startswith("::error ")]
    warnings = [ln for ln in lines if ln.startswith("::warning ")]
    notices = [ln for ln in lines if ln.startswith("::notice")]
    items = list(report.items())
    assert len(errors) == sum(i.status in NOT_PASSING for _, i in items)
    assert len(warnings) == sum(i.status == Status.SKIPPED for _, i in items)
    assert len(notices) == 1 and f"{report.score:g}/{report.max_score:g}" in notices[0]
    bad = [(e, i) for e, i in items if i.status in NOT_PASSING]
    for ln, (ex, it) in zip(errors, bad):
        head, _, data = ln[2:].partition("::")
        props = dict(p.split("=", 1) for p in head.split(" ", 1)[1].split(","))
        assert _unescape(props["file"]) == clean(report.submission)
        assert props["line"] == str(it.line or 1)
        assert _unescape(props["title"]).startswith(f"{ex.id} {it.name}")
        assert clean(it.message) in _unescape(data)
    # the hostile "\r\n::error file=x::injected" stays inside its own command
    assert not any(ln.startswith("::error file=x") for ln in lines)
    assert not any(ln.startswith("::stop-commands") for ln in lines)


def test_github_summary(report):
    s = github_summary(report)
    lines = s.splitlines()
    rows = [ln for ln in lines if ln.startswith("| ") and not ln.startswith("| **")]
    assert len(rows) == 1 + sum(len(e.items) for e in report.exercises)  # header + items
    assert any(ln.startswith("| **") and f"{report.score:g}/{report.max_score:g}" in ln for ln in lines)
    for ln in rows:
        assert ln.count("|") == 5, ln  # no student '|' breaks the table
    for emoji in ("✅", "❌", "💥", "⏱️", "🚧", "⏭️"):
        assert emoji in s
    assert "<script" not in s and "<img" not in s and "javascript:" not in s and "\x00" not in s and "\r" not in s
    assert not any(ln.startswith("::") for ln in lines)
    assert "::" not in s.replace("\\", "")
    assert s.count("<pre>") == s.count("</pre>")
    total = "合計" if report.lang == "ja" else "total"
    assert total in s


def test_render_github_is_annotations_then_marker_then_summary(report):
    out = render(report, "github")
    assert out.count(SUMMARY_MARKER) == 1
    before, after = out.split(SUMMARY_MARKER + "\n")
    assert before == github_annotations(report)
    assert after == github_summary(report)
    assert all(ln.startswith("::") for ln in before.splitlines())


@pytest.mark.skipif(shutil.which("awk") is None, reason="awk not installed")
def test_workflow_split_with_awk(report, tmp_path):
    """The awk lines of ci-templates/github-actions.yml split the output at the marker."""
    wf = (ROOT / "ci-templates" / "github-actions.yml").read_text(encoding="utf-8")
    assert SUMMARY_MARKER in wf
    f = tmp_path / "github.txt"
    f.write_text(render(report, "github"), encoding="utf-8")
    m = SUMMARY_MARKER
    ann = subprocess.run(
        ["awk", "-v", f"m={m}", "$0==m{exit} {print}", str(f)], capture_output=True, text=True, check=True
    )
    summ = subprocess.run(
        ["awk", "-v", f"m={m}", "f{print} $0==m{f=1}", str(f)], capture_output=True, text=True, check=True
    )
    assert ann.stdout == github_annotations(report)
    assert summ.stdout == github_summary(report)
    assert "$0==m{exit} {print}" in wf and "f{print} $0==m{f=1}" in wf


# --- HTML ------------------------------------------------------------------------------------


class _Collector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.stack: list[str] = []
        self.text_by_id: dict[str, str] = {}
        self._capture: list[list] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if "id" in a:
            self._capture.append([a["id"], tag, 0, []])
        for c in self._capture:
            if c[1] == tag:
                c[2] += 1

    def handle_endtag(self, tag):
        for c in list(self._capture):
            if c[1] == tag:
                c[2] -= 1
                if c[2] == 0:
                    self.text_by_id[c[0]] = "".join(c[3])
                    self._capture.remove(c)

    def handle_data(self, data):
        for c in self._capture:
            c[3].append(data)


def _png(path: Path, colour=(200, 30, 30)) -> Path:
    from PIL import Image

    Image.new("RGB", (40, 20), colour).save(path)
    return path


def test_html_page(report, tmp_path):
    png = _png(tmp_path / "curve.png")
    txt = tmp_path / "not_an_image.png"
    txt.write_text("<svg onload=alert(1)>", encoding="utf-8")
    report.exercises[1].items[-1].artifacts = {
        "loss": str(png),
        "gone": str(tmp_path / "missing.png"),
        "fake": str(txt),
    }
    page = render_html(report)
    p = _Collector()
    p.feed(page)
    p.close()
    tags = [t for t, _ in p.tags]
    assert "script" not in tags and "iframe" not in tags and "object" not in tags and "link" not in tags
    for tag, attrs in p.tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        for k in ("src", "href"):
            if k in attrs:
                assert attrs[k].startswith("data:image/png;base64,"), (tag, attrs)
    imgs = [a for t, a in p.tags if t == "img"]
    assert len(imgs) == 1
    import base64

    assert base64.b64decode(imgs[0]["src"].split(",", 1)[1]) == png.read_bytes()
    metas = [a for t, a in p.tags if t == "meta"]
    assert any(a.get("charset") == "utf-8" for a in metas)
    assert any(a.get("http-equiv") == "Content-Security-Policy" and "default-src 'none'" in a["content"] for a in metas)
    assert "Noto Sans CJK JP" in page and "sans-serif" in page
    assert ('<html lang="ja">' if report.lang == "ja" else '<html lang="en">') in page
    assert f"{report.score:g} / {report.max_score:g}" in p.text_by_id["score"]
    assert "local" in p.text_by_id["backend"] and "news" in p.text_by_id["data"]
    # every item has a row with its status
    rows = [a for t, a in p.tags if t == "tr" and "item" in a.get("class", "")]
    assert [r["data-status"] for r in rows] == [i.status.value for _, i in report.items()]
    # hostile text is escaped: visible as text, never as markup
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page and "<img src=x" not in page
    assert "\\x00NUL" in page and "\x00" not in page and "\x1b" not in page
    assert page.count("<pre") == page.count("</pre>")
    # counterexample in <pre>, repro line, captured output collapsed
    assert '<pre class="counterexample">' in page and "tensor([[0.2689, 0.7311]])" in page
    assert "check submit exercise.py -e 71 --seed 0" in page
    assert '<details class="output" id="output">' in page and "training..." in p.text_by_id["output"]
    assert "::error::from student" in p.text_by_id["output"]
    # the missing and the non-image artefacts are noted, not embedded
    missing = [ln for ln in page.splitlines() if 'class="missing"' in ln]
    assert any("gone" in ln for ln in missing) and any("fake" in ln for ln in missing)
    assert "svg onload" not in page
    if report.lang == "ja":
        assert "見つかった最小の反例" in page and "合計" in page and "スキップ" in page


def test_html_without_output_and_data():
    r = make_report(hostile=False)
    r.output = None
    r.data = None
    r.notes = []
    page = render_html(r)
    assert 'id="output"' not in page and 'id="data"' not in page
    assert 'id="score"' in page


# --- CI templates ----------------------------------------------------------------------------


def test_ci_templates_parse():
    yaml = pytest.importorskip("yaml")
    gh = yaml.safe_load((ROOT / "ci-templates" / "github-actions.yml").read_text(encoding="utf-8"))
    jobs = gh["jobs"]
    text = (ROOT / "ci-templates" / "github-actions.yml").read_text(encoding="utf-8")
    assert "GITHUB_STEP_SUMMARY" in text and "actions/upload-artifact" in text
    assert "--format json" in text and "--format github" in text
    assert "download.pytorch.org/whl/cpu" in text
    assert any("container" in j for j in jobs.values())
    gl = yaml.safe_load((ROOT / "ci-templates" / "gitlab-ci.yml").read_text(encoding="utf-8"))
    job = next(v for k, v in gl.items() if isinstance(v, dict) and "script" in v)
    assert job["artifacts"]["reports"]["junit"] == "junit.xml"
    assert "result.json" in job["artifacts"]["paths"]
    readme = (ROOT / "ci-templates" / "README.md").read_text(encoding="utf-8")
    assert "feedback, not the grade" in readme


@pytest.mark.parametrize("fmt", ["text", "junit", "github", "html", "gradescope", "json"])
def test_hidden_items_are_marked_in_every_format(report, fmt):
    """An instructor's hidden items are said to be hidden wherever a report shows them (issue 8)."""
    out = render(report, fmt)
    word = "非公開" if report.lang == "ja" else "hidden"
    if fmt == "gradescope":
        tests = {t["name"]: t for t in json.loads(out)["tests"]}
        assert tests["71 hidden_check"]["visibility"] == "after_published"
    elif fmt == "json":
        items = {i["name"]: i for e in json.loads(out)["exercises"] for i in e["items"]}
        assert items["hidden_check"]["visibility"] == "hidden"
    else:
        assert f"hidden_fail ({word})" in out or f"hidden_fail ({word})".replace("(", "&#40;") in out, out[:3000]
