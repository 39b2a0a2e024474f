"""checker.messages: one table, two languages, the same placeholders; every key the code uses exists."""

from __future__ import annotations

import re

import pytest

from checker.grading.records import Status
from checker.grading.installed import installed_registry
from checker.messages import LANGS, placeholders, render

CATALOG = installed_registry().catalog  # the engine's table and every installed pack's, merged
MESSAGES = CATALOG.table
HINTS = sorted(installed_registry().hints)

from conftest import ROOT  # noqa: E402 - after the path set-up above


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_key_has_both_languages_with_the_same_placeholders(key):
    entry = MESSAGES[key]
    assert set(entry) == set(LANGS)
    assert all(isinstance(entry[lang], str) and entry[lang].strip() for lang in LANGS)
    assert placeholders(entry["en"]) == placeholders(entry["ja"])


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_renders_in_both_languages(key):
    params = {p: f"<{p}>" for p in placeholders(MESSAGES[key]["en"])}
    for lang in LANGS:
        text = CATALOG.render(key, lang, **params)
        for v in params.values():
            assert v in text


def test_japanese_differs_from_english():
    assert render("not_implemented", "ja", function="softmax") == "ファイルに `softmax` が定義されていません"
    assert render("not_implemented", "en", function="softmax") == "`softmax` is not defined in your file"


def test_unknown_language_falls_back_to_english():
    assert render("passed", "fr") == render("passed", "en")


def test_missing_parameter_is_an_error():
    with pytest.raises(KeyError):
        render("not_implemented", "en")


def test_placeholders():
    assert placeholders("a {x} b {y:.2f} {x}") == {"x", "y"}
    assert placeholders("none") == set()


def test_every_status_has_a_label():
    for s in Status:
        assert f"status_{s.value}" in MESSAGES


def test_every_hint_has_a_message():
    for name in HINTS:
        assert f"hint_{name}" in MESSAGES


KEY_USE = re.compile(
    r'\b(?:Msg|CheckFailure|TypeMismatch|Skip|render|render_msg)\(\s*"([a-z_]+)"\s*[,)]'
)  # a whole key, not a prefix


def test_every_message_key_used_in_the_code_exists():
    used = set()
    for path in [*(ROOT / "checker").rglob("*.py"), *(ROOT / "packs").rglob("*.py")]:
        used |= set(KEY_USE.findall(path.read_text(encoding="utf-8")))
    assert used, "the scan found the message keys"
    assert {"raised", "bad_shape", "forbidden_call", "mismatch_entry"} <= used
    assert sorted(used - set(MESSAGES)) == []
