"""tests/corpus.py: the one header format of every test corpus, and its errors (fast, no grading)."""

from __future__ import annotations

import pytest

import corpus
from corpus import CORPORA, TESTS, CorpusError, cases, expect, header


@pytest.mark.parametrize("folder", sorted(CORPORA))
def test_every_corpus_file_has_a_valid_header(folder):
    found = cases(TESTS / folder)
    assert found, folder
    for p in found:
        data = expect(p)
        assert set(CORPORA[folder].required) <= set(data) <= set(CORPORA[folder].keys), p.name


def test_no_manifest_is_left():
    assert not list(TESTS.rglob("manifest.toml"))


@pytest.fixture
def subs(tmp_path, monkeypatch):
    """A scratch corpus folder that corpus.py takes for tests/submissions/."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    monkeypatch.setattr(corpus, "TESTS", tmp_path)
    return folder


GOOD = {
    "kind": "bug",
    "exercises": ["71"],
    "failing": ["softmax"],
    "passing": ["predict_proba"],
    "exit": 1,
    "why": 'a "quoted" `why` with unicode: 例',
}


def _write(folder, name, text):
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def test_header_round_trips(subs):
    p = _write(subs, "a.py", header(GOOD, "submissions") + "import torch\n")
    assert expect(p) == GOOD
    assert cases(subs) == [p]


@pytest.mark.parametrize(
    "text, error",
    [
        ("import torch\n", "does not begin with a '# --- expect' line"),
        ('# --- expect\n# kind = "bug"\n', "no closing '# ---' line"),
        ('# --- expect\nkind = "bug"\n# ---\n', "a header line must start with '# '"),
        ("# --- expect\n# kind = \n# ---\n", "not valid TOML"),
    ],
)
def test_malformed_headers_name_the_file(subs, text, error):
    p = _write(subs, "broken.py", text)
    with pytest.raises(CorpusError) as e:
        expect(p)
    assert str(e.value).startswith(str(p)) or "submissions/broken.py" in str(e.value)
    assert error in str(e.value)
    with pytest.raises(CorpusError, match="broken.py"):
        cases(subs)


@pytest.mark.parametrize(
    "change, error",
    [
        ({"failng": ["softmax"]}, "unknown key(s) failng"),
        ({"exit": None}, "lacks exit"),
        ({"exit": "1"}, "'exit' must be an integer"),
        ({"kind": "hostile"}, "'kind' has 'hostile'; allowed: correct, bug"),
        ({"exercises": ["7l"]}, "'exercises' has '7l'"),
        ({"failing": "softmax"}, "'failing' must be a list of non-empty strings"),
        ({"passing": ["predict_proba", "predict_proba"]}, "without repetitions"),
        ({"why": ""}, "'why' must be a non-empty string"),
    ],
)
def test_keys_are_checked_against_the_corpus(subs, change, error):
    data = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    lines = ["# --- expect"] + [f"# {k} = {corpus._toml(v)}" for k, v in data.items()] + ["# ---", ""]
    p = _write(subs, "bad.py", "\n".join(lines))
    with pytest.raises(CorpusError) as e:
        expect(p)
    assert "bad.py" in str(e.value) and error in str(e.value), str(e.value)


def test_a_file_outside_the_corpora_is_refused(tmp_path):
    p = _write(tmp_path, "x.py", header(GOOD, "submissions"))
    with pytest.raises(CorpusError, match="not in a known corpus folder"):
        expect(p)


def test_each_corpus_allows_its_own_keys():
    assert set(CORPORA["submissions"].keys) == {"kind", "exercises", "failing", "passing", "exit", "why"}
    assert set(CORPORA["training_submissions"].keys) == {"exercises", "failing", "passing", "hint", "why"}
    adv = CORPORA["adversarial/cases"]
    assert {"exercises", "verdict", "zero", "passing", "leaves_nothing", "why"} == set(adv.required)
    with pytest.raises(CorpusError, match="unknown key"):
        header({"verdict": "graded"}, "submissions")
