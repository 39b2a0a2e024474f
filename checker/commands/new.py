"""`check new ID`: scaffold an exercise folder that `check validate ID` passes as it is.

The folder (under ``--dir``, else ``NLP100_EXERCISES_DIR``) gets a worked example to edit: one
item, ``center(x, dim=-1)`` (x minus its mean along ``dim``, hand-written):

- ``spec.toml``: every field present, each with what it means and its default;
- ``statement.en.md`` / ``statement.ja.md``: the statement's skeleton (contract, what is checked, hints);
- ``template.py`` / ``template.ja.py``: the student's starting point (a stub raising NotImplementedError), in English
  and in Japanese;
- ``solution.py``: the reference answer (``reference = "solution:center"``; ``check validate`` grades it
  and mutates it);
- ``checks.py``: the input space ``space_center`` (a ``checker.strategies.Space``), a hint, its messages;
- ``test_<id>.py``: pytest tests that grade the reference and the template through ``checker.api.grade``.

An existing folder is never touched (a usage error, exit 2).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import UsageError
from ..messages import Msg

ID = re.compile(r"^[0-9A-Za-z_-]+$")


def register(sub, env) -> None:
    n = sub.add_parser(
        "new", help="scaffold a new exercise folder (spec, statements, template, reference, checks, test)"
    )
    n.add_argument("id", help="the exercise id, also the folder's name (e.g. 80)")
    n.add_argument(
        "--dir", metavar="FOLDER", help="folder of exercises to create it in (default: NLP100_EXERCISES_DIR)"
    )
    n.set_defaults(run=main)


def scaffold(ex_id: str, root: Path) -> Path:
    """Write the exercise folder ``root/ex_id``; refuse (UsageError) when it exists."""
    if not ID.match(ex_id):
        raise UsageError(msg=Msg("cli_new_bad_id", {"id": ex_id}))
    folder = Path(root) / ex_id
    if folder.exists() or folder.is_symlink():
        raise UsageError(msg=Msg("cli_new_exists", {"path": str(folder)}))
    key = "ex" + re.sub(r"[^0-9a-z_]", "_", ex_id.lower()) + "_subtracted_sum"
    folder.mkdir(parents=True)
    for name, text in FILES.items():
        body = text.replace("__ID__", ex_id).replace("__KEY__", key)
        (folder / name.replace("__ID__", re.sub(r"[^0-9A-Za-z_]", "_", ex_id))).write_text(
            body.lstrip("\n"), encoding="utf-8"
        )
    return folder


def main(args) -> int:
    from ..settings import current

    root = Path(args.dir) if args.dir else current().exercises_dir
    if root is None:
        raise UsageError(msg=Msg("cli_new_no_dir"))
    folder = _shown(scaffold(args.id, root))
    print(f"created {folder}/")
    for p in sorted(Path(folder).iterdir()):
        print(f"  {p.name:<18} {DESCRIBE.get(p.name, 'pytest tests: the reference gets full marks, the template 0')}")
    env = "" if args.dir is None else f"NLP100_EXERCISES_DIR={_shown(Path(root))} "
    print("next:")
    print(f"  {env}check validate {args.id}          # reference, template and mutation analysis")
    print(f"  {env}check submit {folder / 'solution.py'} --exercise {args.id}")
    print(f"  python -m pytest -q {folder / ('test_' + re.sub(r'[^0-9A-Za-z_]', '_', args.id) + '.py')}")
    return 0


def _shown(path: Path) -> Path:
    """``path`` relative to the current folder when it is inside it (shorter to read and to paste)."""
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd())) if path.resolve().is_relative_to(Path.cwd()) else path
    except (OSError, ValueError):
        return path


DESCRIBE = {
    "spec.toml": "the items, their checks and limits (every field, commented)",
    "statement.en.md": "the statement students read (`check show ID`)",
    "statement.ja.md": "the same, in Japanese (`check show ID --lang ja`)",
    "template.py": "the student's starting point (`check show ID --template-only`)",
    "template.ja.py": "the same, in Japanese (`check show ID --template-only --lang ja`)",
    "solution.py": "the reference answer: graded and mutated by `check validate`",
    "checks.py": "the input space, a hint and its messages (trusted grader code)",
}

SPEC = """
# Exercise __ID__, made by `check new __ID__`: a worked example to edit. Every field is present,
# with what it means and its default. `check validate __ID__` grades solution.py (full marks expected),
# template.py (0 expected) and the mutants of solution.py (how many wrong programs the checks catch).

# The exercise's id: the name of its folder (required).
id = "__ID__"
# The title, shown by `check list` and in reports (required, both languages).
title = { ja = "演習 __ID__: 平均を引く", en = "Exercise __ID__: subtracting the mean" }
# "functions": the items call the student's functions on inputs (per-case checks);
# "training": the items run the student's training code (checks of their own). Default "functions".
kind = "functions"
# Numbers a training check reads (e.g. accuracy thresholds); free-form. Default {} (none).
accuracy = {}
# `check validate` fails when its checks kill fewer than this share of the non-equivalent
# mutants of solution.py (a mutant is killed when some item does not pass). Default 0.9.
mutation_threshold = 0.9
# The functions `check validate` mutates for this exercise. Default: every function its items require;
# an exercise that builds on earlier ones names only what it adds (e.g. mutate = ["accuracy"]).
mutate = ["center"]
# Exercises whose checks grade this exercise's mutants too (those that build on its functions): a mutant
# is killed when an item of any of them fails. Default [] (none).
mutation_with = []

# Limits of one grading of this exercise (the defaults are shown).
[limits]
cpu_s = 60            # CPU seconds for the whole exercise
wall_s = 60           # wall-clock seconds for the whole exercise
memory_mb = 2048      # memory of the sandboxed worker, at least 256
call_timeout_s = 10   # one call of a student's function

# One [[items]] table per graded item (at least one).
[[items]]
# The item's name: lowercase letters, digits and _ (required).
name = "center"
# Points for passing every check of the item (> 0, required).
points = 2
# The student's function the per-case checks call. Default: none (then `requires` is needed).
function = "center"
# The student's functions the item needs: while one is missing the item is "not implemented".
# Default: [function]. `check validate` mutates exactly these functions of solution.py.
requires = ["center"]
# The trusted reference, "module:function": "solution:center" is solution.py next to this file
# (an importable module works too, e.g. "mypack.references:center"). It runs in the grader,
# in float64; the student's result is compared with it.
reference = "solution:center"
# The input space: space_<inputs>() of checks.py (or of an installed pack). Its fixed cases run
# first, then generated ones (--max-examples, default 30), shrunk to the smallest failing input.
inputs = "center"
# Names of the parts of the result used in messages: one name, or one per element of a tuple. Default [].
outputs = ["y"]
# The checks, in order. Per case: matches_reference (close to the reference within the dtype's
# tolerance, scaled by the input's magnitude), dtype_preserved, finite (no NaN/inf), no_inplace
# (the inputs are left alone). Per item: hand_written (no call listed in `forbidden`). Any
# check_<name> of checks.py or of a pack can be named too. Required, at least one.
checks = ["dtype_preserved", "finite", "matches_reference", "no_inplace", "hand_written"]
# Calls `hand_written` forbids in the function and the helpers it calls ("torch.mean", "Tensor.mean",
# "torch.nn.functional.relu", "Tensor.backward", ...). Default [].
forbidden = ["torch.mean", "Tensor.mean", "torch.nanmean", "Tensor.nanmean"]
# Likely mistakes to recognise in a wrong result: hint_<name>() of checks.py or of a pack. Default [].
hints = ["subtracted_sum"]
# Parameters of the checks, typed by their models (a pack's params.py, or CHECK_PARAMS in checks.py):
# an unknown key or a wrong type is an error when the spec loads. Default {} (every default).
params = {}
# "public", or "hidden" (an item of the instructor's NLP100_HIDDEN/__ID__/spec.toml is always hidden). Default "public".
visibility = "public"
# Does the item still count toward the maximum when it is skipped (e.g. no GPU here)? Default false.
skipped_counts = false
# Seconds for the generated cases of this item (the fixed ones always run). Default 20.
budget_s = 20

# Mutants of solution.py that compute what the contract allows (no check should kill them), by the id
# `check validate` prints, with the reason. Default: none. For example:
# [[equivalent]]
# mutant = "center:const:0a1b2c"
# reason = "why this change cannot be told from the reference through the contract"
"""

STATEMENT_EN = """
# __ID__. Subtracting the mean

Subtract from a tensor its mean along one dimension, so that the result has mean 0 along it.

## Function to define

```python
def center(x: torch.Tensor, dim: int = -1) -> torch.Tensor
```

- `x`: a 1-D or 2-D floating tensor (float32 or float64); values may be as large as ±1e4.
- Returns `x - mean(x, dim)`, of the shape and dtype of `x`.
- **Hand-written**: `torch.mean` and `Tensor.mean` are forbidden; use a sum and the size of the dimension.
- Do not modify `x` in place.

Only the standard library, `torch`, `numpy` and `matplotlib` may be imported.

## What the checker checks

Item `center`: the result is compared with the reference on fixed inputs and on generated ones
(1-D and 2-D, both dtypes, every `dim`); its dtype, that it is finite, that `x` is left alone,
and that no forbidden call is made.

## Hints

- `x.sum(dim=dim, keepdim=True)` keeps the dimension, so the subtraction broadcasts.
"""

STATEMENT_JA = """
# __ID__. 平均を引く

テンソルから、ある次元に沿った平均を引いてください。結果はその次元に沿って平均 0 になります。

## 定義する関数

```python
def center(x: torch.Tensor, dim: int = -1) -> torch.Tensor
```

- `x`: 1 次元または 2 次元の浮動小数点テンソル (float32 または float64)。値は ±1e4 程度まで。
- `x - mean(x, dim)` を `x` と同じ形・dtype で返します。
- **自分で書くこと**: `torch.mean` と `Tensor.mean` は使えません。和と次元の大きさを使ってください。
- `x` をその場で書き換えないでください。

インポートできるのは標準ライブラリ、`torch`、`numpy`、`matplotlib` だけです。

## チェックされること

項目 `center`: 固定の入力と自動生成した入力 (1 次元と 2 次元、両方の dtype、すべての `dim`) で参照解と比較します。
dtype、有限であること、`x` を書き換えないこと、禁止された呼び出しがないことも確かめます。

## ヒント

- `x.sum(dim=dim, keepdim=True)` は次元を残すので、そのまま引き算できます。
"""

TEMPLATE = '''
"""Exercise __ID__: subtracting the mean.

Define `center` below and grade it with `check submit FILE --exercise __ID__`.
Forbidden in `center`: torch.mean, Tensor.mean (write it with a sum).
"""
import torch


def center(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """`x` minus its mean along `dim` (hand-written).

    Args:
        x: a 1-D or 2-D floating tensor; values may be as large as +-1e4.
        dim: the dimension along which the result has mean 0.

    Returns:
        A tensor of the shape and dtype of `x`. `x` must not be modified in place.
    """
    raise NotImplementedError
'''

TEMPLATE_JA = '''
"""演習 __ID__: 平均を引く。

下の `center` を定義し、`check submit FILE --exercise __ID__` で採点してください。
`center` で使用禁止: torch.mean、Tensor.mean（和を使って書いてください）。
"""
import torch


def center(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """`x` からその `dim` 方向の平均を引いたもの（手書き）。

    引数:
        x: 1 次元または 2 次元の浮動小数点テンソル。値は ±1e4 程度まで。
        dim: 結果の平均が 0 になる次元。

    戻り値:
        `x` と同じ形状・dtype のテンソル。`x` をその場で書き換えてはいけません。
    """
    raise NotImplementedError
'''

SOLUTION = '''
"""Reference answer of exercise __ID__: graded by `check validate __ID__` (full marks expected), named by the
spec's `reference = "solution:center"` (the grader computes expected values with it, in float64), and
mutated by `check validate` to measure the checks. Trusted code: it runs in the grader's process."""
import torch


def center(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    n = x.shape[dim]
    return x - x.sum(dim=dim, keepdim=True) / n
'''

CHECKS = '''
"""Checks of exercise __ID__ (trusted grader code: loaded by the grader, never sent to the sandbox).

- ``space_<name>() -> Space``: an input space: fixed cases (always run first) and ``draw(data)``, which
  builds a ``Case`` from labelled hypothesis draws (shrunk to the smallest failing input).
- ``hint_<name>(case, got, expected, what) -> Msg | None``: a likely mistake recognised in a wrong result.
- ``check_<name>(ctx, case)`` decorated with ``@per_case`` (run on every case), or ``check_<name>(ctx)``
  (once per item): raise ``CheckFailure`` when the submission is wrong.
- ``CHECK_PARAMS``: the typed parameters of this file's checks (pydantic models); ``MESSAGES``: the
  messages of its hints and checks, in English and Japanese.
"""
import torch
from hypothesis import strategies as st

from checker.messages import Msg
from checker.strategies import Case, Space, cols, draw_tensor, float_dtype, magnitude, rows

T = torch.tensor

MESSAGES = {
    "__KEY__": {"en": "your result looks like `x` minus its *sum*: divide the sum by the size of the dimension",
                "ja": "`x` から「和」を引いた結果のようです。和を次元の大きさで割ってください"},
}


def space_center() -> Space:
    fixed = [
        Case((T([[1.0, 2.0, 6.0]]),), {"dim": -1}, 6.0, label="one row"),
        Case((T([[1.0, 2.0], [3.0, 7.0]]),), {"dim": 0}, 7.0, label="dim=0"),
        Case((T([[1.0, 2.0], [3.0, 7.0]]),), {"dim": 1}, 7.0, label="dim=1"),
        Case((T([4.0, -1.0, 3.0], dtype=torch.float64),), {}, 4.0, label="1-D, float64, the default dim"),
        Case((T([[1e4, -1e4, 5e3]]),), {"dim": -1}, 1e4, label="magnitude 1e4"),
    ]

    def draw(data) -> Case:
        dtype = float_dtype(data)
        if data.draw(st.booleans(), label="2-D"):
            shape = (rows(data), cols(data, "columns"))
            dim = data.draw(st.sampled_from([-1, 0, 1]), label="dim")
        else:
            shape = (cols(data, "length"),)
            dim = data.draw(st.sampled_from([-1, 0]), label="dim")
        x, recipe = draw_tensor(data, "x", shape, dtype)
        return Case((x,), {"dim": dim}, magnitude(x), {0: recipe})

    return Space(fixed, draw)


def hint_subtracted_sum(case, got, expected, what):
    x = case.args[0].double()
    wrong = x - x.sum(dim=case.kwargs.get("dim", -1), keepdim=True)
    if isinstance(got, torch.Tensor) and got.shape == wrong.shape and \\
            torch.allclose(got.double(), wrong, rtol=1e-4, atol=1e-4 * max(1.0, case.magnitude)):
        return Msg("__KEY__")
    return None
'''

TEST = '''
"""Tests of exercise __ID__ (made by `check new`): its reference gets full marks and its template 0,
graded through the public API like `check submit` does.  Run: python -m pytest -q <this file>."""
from pathlib import Path

from checker.api import Options, grade

HERE = Path(__file__).resolve().parent
EXERCISE = "__ID__"


def graded(name: str):
    return grade(HERE / name, [EXERCISE], Options(exercises_dir=HERE.parent, max_examples=10))


def test_the_reference_gets_full_marks():
    report = graded("solution.py")
    assert report.internal_errors == 0
    assert report.max_score > 0
    assert report.score == report.max_score, [(i.name, i.status.value, i.message) for _, i in report.items()]


def test_the_template_scores_zero_without_a_checker_error():
    report = graded("template.py")
    assert report.internal_errors == 0
    assert report.score == 0
    assert {i.status.value for _, i in report.items()} == {"not_implemented"}
'''

FILES = {
    "spec.toml": SPEC,
    "statement.en.md": STATEMENT_EN,
    "statement.ja.md": STATEMENT_JA,
    "template.py": TEMPLATE,
    "template.ja.py": TEMPLATE_JA,
    "solution.py": SOLUTION,
    "checks.py": CHECKS,
    "test___ID__.py": TEST,
}
