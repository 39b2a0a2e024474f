"""checker.source: which files can be graded, the text that is graded, and where its lines come from.

The notebooks are built two ways: with nbformat (as Jupyter writes them) and as raw JSON dicts
(as Colab, VS Code, older tools or a hand edit may leave them).
"""

from __future__ import annotations

import ast
import base64
import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from checker.grading import handwritten
from checker.messages import MESSAGES
from checker.messages import Msg
from checker.grading.source import (
    NOTEBOOK_HEADER,
    SourceError,
    SourceFile,
    duplicate_definitions,
    read_submission,
    render_msg,
    template_notebook,
)

from conftest import ROOT

SOFTMAX = "import math\n\n\ndef softmax(x):\n    m = max(x)\n    e = [math.exp(v - m) for v in x]\n    return [v / sum(e) for v in e]\n"
JA_COMMENT = "# ソフトマックス関数を実装する (日本語のコメント)\n"
TEMPLATES = sorted((ROOT / "packs" / "nlp100_ch08" / "exercises").glob("*/template.py"))


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    p = tmp_path / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


def refused(path: Path, **kw) -> SourceError:
    with pytest.raises(SourceError) as e:
        read_submission(path, **kw)
    err = e.value
    assert err.key in MESSAGES
    assert str(err) == err.render("en") and str(path) in str(err)
    assert err.render("ja") != err.render("en") and str(path) in err.render("ja")
    return err


def exec_text(sf: SourceFile) -> dict:
    ns: dict = {"__name__": "submission"}
    exec(compile(sf.text, sf.py_name, "exec"), ns)
    return ns


def notes(sf: SourceFile, lang: str = "en") -> list[str]:
    return [render_msg(n, lang) for n in sf.notes]


def cell_of(note: Msg) -> int:
    """The cell a note is about: its own {cell}, or that of its location {where}."""
    return note.params["where"].params["cell"] if "where" in note.params else note.params["cell"]


def raw_notebook(cells: list[dict], minor: int = 4, **meta) -> dict:
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.11.4"},
            **meta,
        },
        "nbformat": 4,
        "nbformat_minor": minor,
    }


def code(source, count=None, outputs=None, cell_id=None) -> dict:
    c = {"cell_type": "code", "execution_count": count, "metadata": {}, "outputs": outputs or [], "source": source}
    if cell_id is not None:
        c["id"] = cell_id
    return c


def markdown(source) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def write_nb(tmp_path: Path, name: str, nb) -> Path:
    text = (
        nbformat.writes(nb) if isinstance(nb, nbformat.NotebookNode) else json.dumps(nb, ensure_ascii=False, indent=1)
    )
    return write(tmp_path, name, text)


# -- .py files --------------------------------------------------------------------------------


def test_plain_utf8_file(tmp_path):
    p = write(tmp_path, "exercise.py", JA_COMMENT + SOFTMAX)
    sf = read_submission(p)
    assert (sf.kind, sf.encoding, sf.notes, sf.line_map) == ("py", "utf-8", (), ())
    assert sf.text == JA_COMMENT + SOFTMAX
    assert sf.raw_sha256 == hashlib.sha256(p.read_bytes()).hexdigest()
    assert sf.where(5) == (None, 5) and sf.describe(5, "ja") == "5 行目"


def test_bom_is_accepted_and_stripped(tmp_path):
    p = write(tmp_path, "bom.py", b"\xef\xbb\xbf" + (JA_COMMENT + SOFTMAX).encode())
    sf = read_submission(p)
    assert sf.encoding == "utf-8-sig"
    assert not sf.text.startswith("\ufeff")
    assert exec_text(sf)["softmax"]([0.0, 0.0]) == [0.5, 0.5]
    assert sf.raw_sha256 == hashlib.sha256(p.read_bytes()).hexdigest()  # of the bytes, BOM included


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_cr_line_endings(tmp_path, newline):
    src = JA_COMMENT + SOFTMAX + "\n\ndef broken(:\n"
    sf_ok = read_submission(write(tmp_path, "a.py", (JA_COMMENT + SOFTMAX).replace("\n", newline)))
    assert "\r" not in sf_ok.text and sf_ok.text == JA_COMMENT + SOFTMAX
    assert handwritten.def_line(sf_ok.text, "softmax") == 5
    sf = read_submission(write(tmp_path, "b.py", src.replace("\n", newline)))
    with pytest.raises(SyntaxError) as e:
        compile(sf.text, "b.py", "exec")
    assert e.value.lineno == src.split("\n").index("def broken(:") + 1  # the line numbers of the file


def test_upper_case_suffix_gets_an_importable_name(tmp_path):
    sf = read_submission(write(tmp_path, "Exercise.PY", SOFTMAX))
    assert sf.kind == "py" and sf.py_name == "Exercise.py"
    assert importlib.util.spec_from_file_location("submission_upper", tmp_path / "Exercise.PY") is None  # the .txt bug
    (tmp_path / "out").mkdir()
    dest = sf.write_py(tmp_path / "out")
    spec = importlib.util.spec_from_file_location("submission_upper", dest)
    assert spec is not None and spec.loader is not None
    same = read_submission(write(tmp_path, "same.py", SOFTMAX.replace("\n", "\r\n")))
    with pytest.raises(ValueError):
        same.write_py(tmp_path)  # would replace the student's file by the normalised text
    assert b"\r\n" in (tmp_path / "same.py").read_bytes()


def test_shift_jis_names_the_guess_and_how_to_resave(tmp_path):
    p = write(tmp_path, "sjis.py", (SOFTMAX + JA_COMMENT).encode("cp932"))
    err = refused(p)
    assert err.key == "submission_not_utf8"
    assert err.params["encoding"] == "Shift_JIS (cp932)" and err.params["iconv"] == "CP932"
    assert err.params["line"] == SOFTMAX.count("\n") + 1  # the first non-UTF-8 byte
    en, ja = err.render("en"), err.render("ja")
    assert "Shift_JIS (cp932) (a guess)" in en and "Save with Encoding" in en
    assert "iconv -f CP932 -t UTF-8 sjis.py > sjis-utf8.py" in en
    assert "推測" in ja and "エンコード付きで保存" in ja and "iconv -f CP932" in ja


def test_euc_jp(tmp_path):
    err = refused(write(tmp_path, "euc.py", (JA_COMMENT + SOFTMAX).encode("euc_jp")))
    assert (err.key, err.params["encoding"], err.params["iconv"], err.params["line"]) == (
        "submission_not_utf8",
        "EUC-JP",
        "EUC-JP",
        1,
    )


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32(tmp_path, codec):
    data = (JA_COMMENT + SOFTMAX).encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data  # PowerShell / Notepad "Unicode big endian": with a BOM
    err = refused(write(tmp_path, "u.py", data))
    assert err.key == "submission_not_utf8"
    assert err.params["encoding"] == ("UTF-32" if codec == "utf-32" else "UTF-16")


def test_utf16_without_bom_is_recognised_not_called_binary(tmp_path):
    err = refused(write(tmp_path, "u.py", SOFTMAX.encode("utf-16-le")))
    assert err.key == "submission_not_utf8" and err.params["encoding"] == "UTF-16 LE"


def test_latin1_and_cp1252(tmp_path):
    err = refused(write(tmp_path, "l.py", "# café, naïve\n".encode("latin-1") + SOFTMAX.encode()))
    assert err.params["encoding"] == "Latin-1 (ISO-8859-1)" and err.params["iconv"] == "ISO-8859-1"
    err = refused(write(tmp_path, "w.py", "# “quoted” é\n".encode("cp1252") + SOFTMAX.encode()))
    assert err.params["encoding"] == "Windows-1252 (cp1252)"


def test_a_coding_line_steers_the_guess_but_the_file_is_still_refused(tmp_path):
    err = refused(write(tmp_path, "c.py", ("# -*- coding: shift_jis -*-\n" + JA_COMMENT + SOFTMAX).encode("shift_jis")))
    assert err.key == "submission_not_utf8" and err.params["encoding"] == "Shift_JIS (cp932)"
    russian = "# Привет\n" + SOFTMAX
    assert refused(write(tmp_path, "r.py", russian.encode("cp1251"))).params["encoding"] != "cp1251"
    err = refused(write(tmp_path, "s.py", ("# coding: cp1251\n" + russian).encode("cp1251")))
    assert (err.params["encoding"], err.params["iconv"], err.params["line"]) == ("cp1251", "CP1251", 2)


def test_a_coding_line_that_contradicts_utf8(tmp_path):
    err = refused(write(tmp_path, "c.py", "#!/usr/bin/env python\n# -*- coding: cp932 -*-\n" + JA_COMMENT + SOFTMAX))
    assert err.key == "submission_coding_cookie" and err.params == {
        "path": str(tmp_path / "c.py"),
        "line": 2,
        "declared": "cp932",
    }
    err = refused(write(tmp_path, "d.py", "# coding: klingon\n" + SOFTMAX))
    assert err.key == "submission_coding_cookie" and err.params["declared"] == "klingon"


def test_a_harmless_coding_line_is_accepted(tmp_path):
    assert read_submission(write(tmp_path, "a.py", "# -*- coding: cp932 -*-\n" + SOFTMAX)).text.endswith(
        SOFTMAX
    )  # ASCII
    assert (
        read_submission(write(tmp_path, "b.py", "# -*- coding: utf-8 -*-\n" + JA_COMMENT + SOFTMAX)).encoding == "utf-8"
    )


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        b"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f" * 20 + b"x = 1\n",
    ],
    ids=["nul", "control-bytes"],
)
def test_binary(tmp_path, data):
    assert refused(write(tmp_path, "image.py", data)).key == "submission_binary"


@pytest.mark.parametrize(
    "data", [b"", b"\n \n\t\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"], ids=["zero", "blank", "bom", "bom-crlf"]
)
def test_empty(tmp_path, data):
    assert refused(write(tmp_path, "empty.py", data)).key == "submission_empty"
    assert refused(write(tmp_path, "empty.ipynb", data)).key == "submission_empty"


def test_directory_and_missing(tmp_path):
    (tmp_path / "exercise.py").mkdir()
    err = refused(tmp_path / "exercise.py")
    assert err.key == "submission_directory" and "folder" in str(err)
    err = refused(tmp_path / "nothing.py")
    assert err.key == "submission_missing" and err.render("ja").endswith("そのファイルはありません")


def test_too_large(tmp_path):
    p = write(tmp_path, "big.py", SOFTMAX + "#" * 300 + "\n")
    err = refused(p, max_bytes=200)
    assert err.key == "submission_too_large" and err.params["size"] == p.stat().st_size and err.params["limit"] == 200
    assert read_submission(p, max_bytes=p.stat().st_size).text.startswith(SOFTMAX)  # the limit itself is allowed


@pytest.mark.parametrize(
    "name,content,key,suggestion",
    [
        ("answer.txt", SOFTMAX, "submission_bad_suffix_python", "answer.py"),
        ("answer.txt", "I could not finish the exercise.\n", "submission_bad_suffix", None),
        ("answer", SOFTMAX, "submission_bad_suffix_python", "answer.py"),
        ("answer.json", json.dumps(raw_notebook([code(SOFTMAX)])), "submission_bad_suffix_python", "answer.ipynb"),
        ("answer.pdf", b"%PDF-1.7\n\x00\x01binary", "submission_bad_suffix", None),
        ("answer.txt", (JA_COMMENT + SOFTMAX).encode("cp932"), "submission_bad_suffix", None),
    ],
)
def test_other_suffixes_are_refused(tmp_path, name, content, key, suggestion):
    err = refused(write(tmp_path, name, content))
    assert err.key == key
    assert ".py" in str(err) and ".ipynb" in str(err)
    assert err.params.get("suggestion") == suggestion


def test_html_saved_from_a_browser(tmp_path):
    page = '<!DOCTYPE html>\n<html lang="en"><head><title>exercise.py at main</title></head><body></body></html>\n'
    assert refused(write(tmp_path, "exercise.py", page)).key == "submission_html"
    assert refused(write(tmp_path, "exercise.ipynb", page)).key == "submission_html"


def test_a_py_that_is_a_notebook(tmp_path):
    err = refused(write_nb(tmp_path, "exercise.py", raw_notebook([code(SOFTMAX)])))
    assert err.key == "submission_py_is_notebook" and err.params["suggestion"] == "exercise.ipynb"


def test_get_ipython_calls_in_an_exported_notebook(tmp_path):
    exported = (
        "#!/usr/bin/env python\n# coding: utf-8\n\n# In[1]:\n\n\nget_ipython().run_line_magic('matplotlib', 'inline')\n"
        "get_ipython().system('pip install torch')\n\n\n# In[2]:\n\n\n"
        + SOFTMAX
        + "\nif True:\n    get_ipython().run_line_magic('time', 'x = 1')\n"
        + "\ndef later():\n    get_ipython().system('ls')\n"
    )
    sf = read_submission(write(tmp_path, "exported.py", exported))
    assert len(sf.text.split("\n")) == len(exported.split("\n"))
    lines = sf.text.split("\n")
    assert lines[6] == "pass  # get_ipython().run_line_magic('matplotlib', 'inline')"
    assert lines[7] == "pass  # get_ipython().system('pip install torch')"
    assert "    pass  # get_ipython().run_line_magic('time', 'x = 1')" in lines
    assert "    get_ipython().system('ls')" in lines  # inside a function: runs only if called
    ns = exec_text(sf)
    assert ns["softmax"]([1.0, 1.0]) == [0.5, 0.5]
    assert [n.key for n in sf.notes] == ["submission_ipython_call_dropped"] * 3
    assert notes(sf)[0].startswith("line 7: `get_ipython().run_line_magic('matplotlib', 'inline')`")


def test_duplicate_definitions_in_a_py(tmp_path):
    first = (ROOT / "packs" / "nlp100_ch08" / "exercises" / "71" / "template.py").read_text(encoding="utf-8")
    text = first + "\n\n" + first  # a second template appended
    sf = read_submission(write(tmp_path, "twice.py", text))
    dups = sf.duplicates()
    n1 = handwritten.def_line(first, "softmax")
    assert dups["softmax"] == [n1, n1 + first.count("\n") + 2]
    assert set(dups) == {"softmax", "predict_proba"}
    assert handwritten.def_line(sf.text, "softmax") == dups["softmax"][-1]  # what Python keeps
    msg = [render_msg(n, "en") for n in sf.notes if n.params.get("name") == "softmax"]
    assert msg == [
        (
            f"`softmax` is defined 2 times (first at line {n1}, last at line {dups['softmax'][1]}); "
            "Python keeps only the last definition, and that one is graded"
        )
    ]


def test_duplicate_definitions():
    text = (
        "import typing\nfrom typing import overload\n\n"
        "def f(x):\n    return 1\n\n"
        "class C:\n    def m(self): ...\n    def m(self): ...\n\n"  # a method twice: not module level
        "@overload\ndef g(x: int) -> int: ...\n@typing.overload\ndef g(x: str) -> str: ...\ndef g(x):\n    return x\n\n"
        "try:\n    def h(): return 1\nexcept ImportError:\n    def h(): return 2\n\n"  # alternatives
        "@f.register\ndef _(x: int): ...\n@f.register\ndef _(x: str): ...\n\n"
        "@decorate\ndef f(x):\n    return 2\n\n"
        "class C:\n    pass\n\n"
        "async def f(x):\n    return 3\n"
    )
    lines = text.split("\n")
    assert duplicate_definitions(text) == {
        "f": [4, lines.index("def f(x):", 5) + 1, lines.index("async def f(x):") + 1],
        "C": [7, lines.index("class C:", 8) + 1],
    }
    assert duplicate_definitions("def f(:\n") == {}
    assert duplicate_definitions(SOFTMAX) == {}


# -- notebooks ------------------------------------------------------------------------------

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64).decode()


def student_notebook() -> nbformat.NotebookNode:
    """As students write them: a title, setup, magics, code spread over cells, saved outputs."""
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    cells = [
        v4.new_markdown_cell("# 第8章: ニューラルネット\n\n## 71. 単層ニューラルネットワークによる予測"),
        v4.new_code_cell("%matplotlib inline\n!pip install torch\nimport math"),
        v4.new_code_cell(
            "def softmax(x):\n    m = max(x)\n    e = [math.exp(v - m) for v in x]\n    return [v / sum(e) for v in e]",
            execution_count=3,
            outputs=[v4.new_output("stream", name="stdout", text="hello\n")],
        ),
        v4.new_markdown_cell("結果を確認する"),
        v4.new_code_cell(
            "%%time\nprobs = softmax([1.0, 2.0, 3.0])\n%time total = sum(probs)\nfiles = !ls\nprobs",
            execution_count=4,
            outputs=[
                v4.new_output("execute_result", data={"text/plain": "[0.09, 0.24, 0.66]"}, execution_count=4),
                v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
            ],
        ),
        nbformat.v4.new_raw_cell("raw text: def not_code(): pass"),
        v4.new_code_cell(
            "softmax([1e4, 0.0])\nsoftmax?",
            execution_count=5,
            outputs=[
                v4.new_output(
                    "error",
                    ename="NameError",
                    evalue="name 'x' is not defined",
                    traceback=["\x1b[0;31mNameError\x1b[0m: name 'x' is not defined"],
                )
            ],
        ),
    ]
    nb.cells = cells
    return nb


def test_student_notebook(tmp_path):
    p = write_nb(tmp_path, "071.ipynb", student_notebook())
    sf = read_submission(p)
    assert (sf.kind, sf.encoding, sf.code_cells) == ("ipynb", "utf-8", 4)
    assert sf.raw_sha256 == hashlib.sha256(p.read_bytes()).hexdigest()
    text = sf.text.split("\n")
    assert text[0] == NOTEBOOK_HEADER
    assert "pass  # %matplotlib inline" in text and "pass  # !pip install torch" in text
    assert "# %%time" in text and "total = sum(probs)" in text and "files = []  # !ls" in text
    assert "pass  # softmax?" in text
    assert "hello" not in sf.text and PNG not in sf.text and "NameError" not in sf.text  # outputs ignored
    assert "not_code" not in sf.text and "単層" not in sf.text  # raw and markdown skipped
    ns = exec_text(sf)
    assert ns["total"] == pytest.approx(1.0) and ns["files"] == []
    assert handwritten.defined_functions(sf.text) >= {"softmax"}
    assert [(n.key, cell_of(n)) for n in sf.notes] == [
        ("submission_magic_dropped", 2),
        ("submission_magic_dropped", 2),
        ("submission_cell_magic_kept", 5),
        ("submission_magic_kept", 5),
        ("submission_magic_replaced", 5),
        ("submission_magic_dropped", 7),
    ]
    assert (
        notes(sf)[0]
        == "cell 2, line 1: `%matplotlib inline` is an IPython command, not Python; it is left out of the grading"
    )
    assert (
        notes(sf, "ja")[1]
        == "セル 2 の 2 行目: `!pip install torch` は Python ではなく IPython のコマンドなので、採点では無視します"
    )
    assert (
        notes(sf)[4]
        == "cell 5, line 4: `files = !ls` is IPython syntax, not Python; the grader runs `files = []` instead"
    )


def test_line_map_cell_3_line_4(tmp_path):
    nb = raw_notebook(
        [
            markdown("# 72"),
            code(["import math\n", "\n", "x = 1"]),
            code(["def cross_entropy(p, y):\n", "    n = len(y)\n", "    total = 0.0\n", "    return total / n +\n"]),
            markdown("done"),
            code("y = 2\n"),
        ]
    )
    sf = read_submission(write_nb(tmp_path, "nb.ipynb", nb))
    with pytest.raises(SyntaxError) as e:
        compile(sf.text, sf.py_name, "exec")
    assert sf.where(e.value.lineno) == (3, 4)
    assert sf.describe(e.value.lineno) == "cell 3, line 4" and sf.describe(e.value.lineno, "ja") == "セル 3 の 4 行目"
    assert sf.location(e.value.lineno) == Msg("submission_at_cell", {"cell": 3, "line": 4})
    lines = sf.text.split("\n")
    for k, line in enumerate(lines[:-1], 1):  # every code line maps back to its source
        cell, n = sf.where(k)
        if cell is None:
            assert line.startswith("#")
        else:
            src = nb["cells"][cell - 1]["source"]
            src_lines = ("".join(src) if isinstance(src, list) else src).split("\n")
            assert src_lines[n - 1] == line
    assert sf.where(1) == (None, 1) and sf.where(10_000) == (None, 10_000)


def test_line_map_through_an_exception(tmp_path):
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("intro"),
            v4.new_code_cell("%load_ext autoreload\n%autoreload 2"),
            v4.new_code_cell("def f(x):\n    y = x + 1\n    return y / 0"),
        ]
    )
    sf = read_submission(write_nb(tmp_path, "nb.ipynb", nb))
    with pytest.raises(ZeroDivisionError) as e:
        exec_text(sf)["f"](1)
    assert sf.where(e.traceback[-1].lineno + 1) == (3, 3)


def test_source_as_string_and_as_list_give_the_same_text(tmp_path):
    lines = ["import math\n", "def f(x):\n", "    return math.sqrt(x)"]
    as_list = read_submission(write_nb(tmp_path, "a.ipynb", raw_notebook([code(lines)])))
    as_str = read_submission(write_nb(tmp_path, "b.ipynb", raw_notebook([code("".join(lines))])))
    as_crlf = read_submission(write_nb(tmp_path, "c.ipynb", raw_notebook([code("".join(lines).replace("\n", "\r\n"))])))
    assert as_list.text == as_str.text == as_crlf.text
    assert exec_text(as_list)["f"](9.0) == 3.0


@pytest.mark.parametrize("minor,with_ids", [(4, False), (5, True)])
def test_nbformat_4_4_and_4_5(tmp_path, minor, with_ids):
    cells = [
        code("import math", count=1, cell_id="a1b2c3" if with_ids else None),
        code(["def f():\n", "    return math.pi"], count=2, cell_id="d4e5f6" if with_ids else None),
    ]
    nb = raw_notebook(cells, minor=minor)
    if minor == 5:
        nbformat.validate(nbformat.from_dict(nb))  # a valid v4.5 notebook
    sf = read_submission(write_nb(tmp_path, "nb.ipynb", nb))
    assert exec_text(sf)["f"]() == pytest.approx(3.14159, abs=1e-5)
    assert sf.where(sf.text.split("\n").index("    return math.pi") + 1) == (2, 2)


def test_colab_notebook_with_outputs_and_bom(tmp_path):
    nb = {
        "nbformat": 4,
        "nbformat_minor": 0,
        "metadata": {
            "colab": {"provenance": []},
            "kernelspec": {"name": "python3", "display_name": "Python 3"},
            "language_info": {"name": "python"},
            "accelerator": "GPU",
        },
        "cells": [
            {
                "cell_type": "code",
                "metadata": {"id": "Xy12"},
                "execution_count": 7,
                "source": ["from google.colab import drive\n"],
                "outputs": [{"output_type": "stream", "name": "stdout", "text": ["Mounted at /content/drive\n"]}],
            },
            {
                "cell_type": "code",
                "metadata": {"id": "Zq34", "colab": {"base_uri": "https://localhost:8080/"}},
                "execution_count": 8,
                "source": ["def f():\n", "    return 1"],
                "outputs": [{"output_type": "display_data", "metadata": {}, "data": {"image/png": PNG}}],
            },
        ],
    }
    p = write(tmp_path, "Colab.ipynb", b"\xef\xbb\xbf" + json.dumps(nb).encode())
    sf = read_submission(p)
    assert sf.encoding == "utf-8-sig" and sf.code_cells == 2
    assert "from google.colab import drive" in sf.text and "Mounted" not in sf.text


def test_nbformat_3_is_converted(tmp_path):
    v3 = {
        "metadata": {"name": ""},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [
            {
                "metadata": {},
                "cells": [
                    {"cell_type": "heading", "level": 1, "metadata": {}, "source": "Title"},
                    {
                        "cell_type": "code",
                        "collapsed": False,
                        "input": ["def f():\n", "    return 3"],
                        "language": "python",
                        "metadata": {},
                        "outputs": [],
                    },
                ],
            }
        ],
    }
    sf = read_submission(write_nb(tmp_path, "old.ipynb", v3))
    assert exec_text(sf)["f"]() == 3
    assert sf.where(sf.text.split("\n").index("    return 3") + 1) == (2, 2)


def test_a_function_defined_twice_across_cells(tmp_path):
    nb = v4.new_notebook(
        cells=[
            v4.new_code_cell("import math"),
            v4.new_code_cell("def softmax(x):\n    return x  # first try"),
            v4.new_markdown_cell("better:"),
            v4.new_code_cell(
                "# second try\n\ndef softmax(x):\n    m = max(x)\n    return [math.exp(v - m) for v in x]"
            ),
        ]
    )
    sf = read_submission(write_nb(tmp_path, "twice.ipynb", nb))
    lines = sf.duplicates()["softmax"]
    assert [sf.where(n) for n in lines] == [(2, 1), (4, 3)]
    (note,) = [n for n in sf.notes if n.key == "submission_duplicate_definition"]
    assert render_msg(note, "en") == (
        "`softmax` is defined 2 times (first at cell 2, line 1, last at cell 4, line 3); "
        "Python keeps only the last definition, and that one is graded"
    )
    assert "セル 2 の 1 行目" in render_msg(note, "ja") and "セル 4 の 3 行目" in render_msg(note, "ja")


def test_magics_only_at_the_start_of_a_logical_line(tmp_path):
    cell = (
        "text = ('a %s b'\n"
        "        % 'x')\n"
        "doc = '''\n"
        "%not_a_magic\n"
        "!not_a_shell_line\n"
        "'''\n"
        "ratio = 7 \\\n"
        "    % 4\n"
        "def g():\n"
        "    !echo inside a block\n"
        "    %time y = 2\n"
        "    return y\n"
        "%pip install numpy \\\n"
        "    scipy\n"
        "done = True\n"
    )
    sf = read_submission(write_nb(tmp_path, "nb.ipynb", raw_notebook([code(cell)])))
    ns = exec_text(sf)
    assert ns["text"] == "a x b" and ns["doc"] == "\n%not_a_magic\n!not_a_shell_line\n" and ns["ratio"] == 3
    assert ns["g"]() == 2 and ns["done"] is True
    assert [n.params["code"] for n in sf.notes] == ["!echo inside a block", "%time y = 2", "%pip install numpy \\"]
    assert len(sf.text.split("\n")) == 2 + cell.count("\n") + 1  # header, marker, the cell's lines, final newline


@pytest.mark.parametrize("magic", ["%%bash", "%%writefile helper.py", "%%timeit", "%%html"])
def test_other_cell_magics_drop_the_cell(tmp_path, magic):
    nb = raw_notebook([code("x = 1"), code(f"\n{magic}\nx = 2\necho $x")])
    sf = read_submission(write_nb(tmp_path, "nb.ipynb", nb))
    assert exec_text(sf)["x"] == 1
    (note,) = sf.notes
    assert note == Msg("submission_cell_magic_dropped", {"magic": magic, "cell": 2})


def test_capture_cell_keeps_its_body(tmp_path):
    sf = read_submission(write_nb(tmp_path, "nb.ipynb", raw_notebook([code("%%capture out\nx = 41 + 1\n!ls")])))
    assert exec_text(sf)["x"] == 42
    assert [n.key for n in sf.notes] == ["submission_cell_magic_kept", "submission_magic_dropped"]
    assert sf.notes[1].params["where"] == Msg("submission_at_cell", {"cell": 1, "line": 3})


def test_notebook_text_can_be_imported_from_a_py_file(tmp_path):
    sf = read_submission(write_nb(tmp_path, "My Notebook.ipynb", student_notebook()))
    (tmp_path / "sandbox").mkdir()
    dest = sf.write_py(tmp_path / "sandbox")
    assert dest.name == "My Notebook.py" and dest.read_text(encoding="utf-8") == sf.text
    spec = importlib.util.spec_from_file_location("submission_nb", dest)
    module = importlib.util.module_from_spec(spec)
    sys.modules["submission_nb"] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["submission_nb"]
    assert module.softmax([0.0, 0.0]) == [0.5, 0.5]


def test_a_coding_line_in_the_first_cell_cannot_change_the_decoding(tmp_path):
    nb = raw_notebook([code("# -*- coding: latin-1 -*-\nname = 'ソフトマックス'")])
    sf = read_submission(write_nb(tmp_path, "nb.ipynb", nb))
    dest = sf.write_py(tmp_path)
    spec = importlib.util.spec_from_file_location("submission_cookie", dest)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.name == "ソフトマックス"


@pytest.mark.parametrize(
    "nb,key,detail",
    [
        ('{"cells": [', "submission_notebook_json", None),
        ("[1, 2, 3]", "submission_notebook_invalid", "the top level is not a JSON object"),
        ('{"nbformat": 4, "metadata": {}}', "submission_notebook_invalid", 'no "cells" list'),
        (
            json.dumps(raw_notebook([code(42)])),
            "submission_notebook_invalid",
            'cell 1: "source" is not a string or a list of strings',
        ),
        (json.dumps(raw_notebook([42])), "submission_notebook_invalid", "cell 1 is not a JSON object"),
        (json.dumps({"nbformat": 2, "cells": []}), "submission_notebook_invalid", "nbformat 2 is too old"),
    ],
    ids=["truncated", "list", "no-cells", "bad-source", "bad-cell", "v2"],
)
def test_invalid_notebooks(tmp_path, nb, key, detail):
    err = refused(write(tmp_path, "nb.ipynb", nb))
    assert err.key == key
    assert err.params.get("detail") == detail
    if key == "submission_notebook_json":
        assert err.params["line"] == 1 and "JSON" in str(err)


def test_a_notebook_that_is_python(tmp_path):
    err = refused(write(tmp_path, "exercise.ipynb", SOFTMAX))
    assert err.key == "submission_notebook_is_python" and err.params["suggestion"] == "exercise.py"


def test_a_notebook_with_another_kernel(tmp_path):
    nb = raw_notebook([code("f <- function(x) x")])
    nb["metadata"] = {
        "kernelspec": {"name": "ir", "display_name": "R", "language": "R"},
        "language_info": {"name": "R"},
    }
    err = refused(write_nb(tmp_path, "r.ipynb", nb))
    assert err.key == "submission_notebook_language" and err.params["language"] == "r"


@pytest.mark.parametrize(
    "cells",
    [
        [markdown("# only text"), {"cell_type": "raw", "metadata": {}, "source": "x = 1"}],
        [code(""), code(["\n", "   \n"]), markdown("notes")],
        [],
    ],
    ids=["markdown-and-raw", "empty-code", "no-cells"],
)
def test_a_notebook_without_code(tmp_path, cells):
    assert refused(write_nb(tmp_path, "nb.ipynb", raw_notebook(cells))).key == "submission_notebook_no_code"


def test_notebook_size_limits(tmp_path):
    big_output = {"output_type": "display_data", "metadata": {}, "data": {"image/png": PNG * 3000}}
    p = write_nb(tmp_path, "plots.ipynb", raw_notebook([code(SOFTMAX, outputs=[big_output])]))
    size = p.stat().st_size
    assert size > 200_000
    assert read_submission(p, max_bytes=1000).code_cells == 1  # outputs do not count against max_bytes
    err = refused(p, max_notebook_bytes=size - 1)
    assert err.key == "submission_notebook_too_large" and "Clear" in str(err)
    err = refused(p, max_bytes=100)
    assert err.key == "submission_code_too_large" and err.params["limit"] == 100 and err.params["size"] > 100


def test_shift_jis_notebook(tmp_path):
    nb = json.dumps(raw_notebook([code(JA_COMMENT + SOFTMAX)]), ensure_ascii=False).encode("cp932")
    err = refused(write(tmp_path, "nb.ipynb", nb))
    assert err.key == "submission_not_utf8" and err.params["encoding"] == "Shift_JIS (cp932)"
    assert err.params["fixed"] == "nb-utf8.ipynb"


# -- templates as notebooks --------------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.parent.name)
def test_template_notebook_round_trip(tmp_path, template):
    source = template.read_text(encoding="utf-8")
    text = template_notebook(source)
    assert text == template_notebook(source)  # deterministic (fixed cell ids)
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(
        f"# NLP-100 chapter 8, exercise {template.parent.name}"
    )
    sf = read_submission(write(tmp_path, f"{template.parent.name}.ipynb", text))
    assert sf.notes == ()
    assert handwritten.defined_functions(sf.text) == handwritten.defined_functions(source)
    defs = [n.name for n in ast.parse(source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    assert len({sf.where(handwritten.def_line(sf.text, d))[0] for d in defs}) == len(
        defs
    )  # one per cell (77, 78: none)
    for cell in nb.cells[1:]:
        assert cell.cell_type == "code" and cell.source.strip()
        assert cell.source == cell.source.strip("\n")  # no blank lines at either end


def test_template_notebook_sections_and_title():
    source = (
        '"""Exercise 99: a title line.\n\nMore words.\n"""\nimport math\n\nCONST = 2\n\n\n'
        "# --- new in 99 ---\n@staticmethod\ndef a():\n    return 1\n\n\n"
        "# a comment about b\ndef b():\n    return 2\n\nB_ALIAS = b\n\n"
        "# --- from 98 ---\n\nclass C:\n    pass\n"
    )
    nb = nbformat.reads(template_notebook(source, title="演習 99"), as_version=4)
    assert [c.source for c in nb.cells] == [
        "# 演習 99\n\nExercise 99: a title line.\n\nMore words.",
        "import math\n\nCONST = 2",
        "# --- new in 99 ---\n@staticmethod\ndef a():\n    return 1",
        "# a comment about b\ndef b():\n    return 2\n\nB_ALIAS = b",
        "# --- from 98 ---\n\nclass C:\n    pass",
    ]
    assert [c.id for c in nb.cells] == ["statement", "code-1", "code-2", "code-3", "code-4"]
    assert nb.metadata.kernelspec.language == "python"
    default = nbformat.reads(template_notebook(source), as_version=4)
    assert default.cells[0].source == "# Exercise 99: a title line.\n\nMore words."


def test_source_error_keys_render_in_both_languages():
    err = SourceError(
        "submission_not_utf8",
        {"path": "a.py", "encoding": "EUC-JP", "line": 3, "iconv": "EUC-JP", "name": "a.py", "fixed": "a-utf8.py"},
    )
    assert err.msg == Msg("submission_not_utf8", err.params) and err.key == "submission_not_utf8"
    assert "EUC-JP" in err.render("ja") and "3 行目" in err.render("ja")
    block = [k for k in MESSAGES if k.startswith("submission_")]
    assert len(block) >= 25
    src = (ROOT / "checker" / "messages.py").read_text(encoding="utf-8")
    start = src.index("# --- submission files (checker/source.py) ---")
    assert all(src.index(f'"{k}"') > start for k in block)  # all in the one block at the end
    used = set(
        re.findall(
            r'"(submission_[a-z0-9_]+)"', (ROOT / "checker" / "grading" / "source.py").read_text(encoding="utf-8")
        )
    )
    assert used <= set(MESSAGES)
