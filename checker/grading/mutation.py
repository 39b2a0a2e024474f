"""Mutants of a reference solution: small, plausible mistakes made by rewriting its AST.

``mutants(source, functions)`` returns one ``Mutant`` per rewrite of one place in one of
``functions`` (top-level functions of ``source``); the rest of the file is kept byte for byte,
so a mutant's diff against the reference shows only the changed line(s).  The operators are
generic Python and PyTorch rewrites (nothing here knows an exercise):

=============  ===========================================================================
operator       rewrite
=============  ===========================================================================
no_max_shift   ``x - x.max(...)...`` → ``x`` (the max-subtraction of a stable softmax removed)
swap           operands of a non-commutative operator swapped: ``a - b`` → ``b - a``, ``a @ b`` → ``b @ a``
drop           an operand dropped: ``a + b`` → ``a`` (and → ``b`` for ``+`` and ``*``)
dim            ``dim=``/``axis=`` (or the positional dim of a reduction) changed: -1 → 0, 1 → 0, 0 → -1 and 1;
               a dim given by a variable (``dim=dim``) → -1 and 0
transpose      a transpose removed (``x.T``, ``x.t()``, ``x.transpose(...)`` → ``x``) or added to an operand of ``@``
reduce         ``mean`` ↔ ``sum``
const          a numeric constant nudged: ``c`` → ``c * 1.1`` (floats), ``c + 1`` (ints), ``0`` → ``1``
stmt           a statement removed (replaced by ``pass``): a call such as ``optimizer.step()``, or an
               assignment to something that already exists (``z = z - m``, ``out[i] = v``)
compare        a comparison flipped: negated (``<`` → ``>=``, ``==`` → ``!=``, ``is`` → ``is not``, ``in`` →
               ``not in``) or moved across its boundary (``<`` → ``<=``, ``>`` → ``>=``)
return         the wrong variable returned (another name in scope, nearest first), or two parts of a
               returned tuple swapped
=============  ===========================================================================

A mutant's id is ``<function>:<operator>:<hash>``, the hash being the first six hex digits of
the SHA-1 of the mutated function's normalised text (``ast.unparse``): stable across runs and
across edits elsewhere in the file, so that a spec can name it (``[[equivalent]] mutant = ...``).
Pure ``ast``: importing this module imports neither torch nor the grader.
"""

from __future__ import annotations

import ast
import copy
import difflib
import hashlib
import random
from dataclasses import dataclass
from typing import Iterable, Iterator

OPERATORS = (
    "no_max_shift",
    "swap",
    "drop",
    "layer",
    "dim",
    "transpose",
    "reduce",
    "const",
    "stmt",
    "compare",
    "return",
)
ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*:(" + "|".join(OPERATORS) + r"):[0-9a-f]{6}(-[0-9]+)?$"

NON_COMMUTATIVE = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult)
ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult)
# methods / torch functions whose first positional argument (after the tensor, for functions) is a dim
DIM_METHODS = {
    "sum",
    "mean",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "logsumexp",
    "softmax",
    "log_softmax",
    "gather",
    "unsqueeze",
    "squeeze",
    "cumsum",
    "cumprod",
    "prod",
    "std",
    "var",
    "norm",
    "all",
    "any",
    "cat",
    "stack",
    "nansum",
    "nanmean",
    "median",
    "topk",
    "sort",
    "argsort",
    "flip",
    "roll",
    "index_select",
    "scatter",
    "scatter_add",
    "size",
}
DIM_KEYWORDS = ("dim", "axis")
MAX_NAMES = ("max", "amax")
REDUCE_SWAP = {"mean": "sum", "sum": "mean", "nanmean": "nansum", "nansum": "nanmean"}
NEGATE = {
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
BOUNDARY = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
OP_TEXT = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}
RETURN_CANDIDATES = 3  # other names tried for `return name`, nearest binding first


@dataclass(frozen=True)
class Mutant:
    id: str
    operator: str
    function: str
    line: int  # line of the change in the reference
    description: str  # what changed, e.g. "`e.sum(dim=dim)` → `e.mean(dim=dim)`"
    source: str  # the whole mutated file
    original: str  # the whole reference file

    def diff(self, name: str = "reference.py", context: int = 2) -> str:
        """A unified diff of the reference against this mutant."""
        lines = difflib.unified_diff(
            self.original.splitlines(keepends=True),
            self.source.splitlines(keepends=True),
            fromfile=f"{name} (reference)",
            tofile=f"{name} (mutant {self.id})",
            n=context,
        )
        return "".join(x if x.endswith("\n") else x + "\n" for x in lines)


@dataclass
class _Edit:
    operator: str
    target: ast.AST  # a node of the original function (an expression, a statement, or a Compare)
    new: ast.AST  # what replaces it
    description: str


def _text(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001 - only for descriptions
        return "?"


def _short(node: ast.AST, limit: int = 60) -> str:
    t = _text(node).replace("\n", " ")
    return t if len(t) <= limit else t[: limit - 1] + "…"


def _int_value(node: ast.AST) -> int | None:
    """An int literal, possibly negative (``-1`` is ``UnaryOp(USub, 1)``)."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) is int
    ):
        return -node.operand.value
    return None


def _int_node(v: int) -> ast.AST:
    return ast.UnaryOp(ast.USub(), ast.Constant(-v)) if v < 0 else ast.Constant(v)


def _dim_changes(v: int) -> list[int]:
    return {-1: [0], 1: [0], 0: [-1, 1]}.get(v, [0])


def _call_name(call: ast.Call) -> str | None:
    f = call.func
    if isinstance(f, ast.Attribute):
        return f.attr
    if isinstance(f, ast.Name):
        return f.id
    return None


def _is_module_call(call: ast.Call) -> bool:
    """``torch.sum(x, 1)`` / ``np.mean(a, 0)``: a function of a module (the tensor is the first argument)."""
    f = call.func
    return (
        isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in ("torch", "np", "numpy", "F")
    )


def _dim_sites(call: ast.Call) -> list[tuple[ast.AST, int]]:
    """(node holding an int dim, its value) for this call: dim=/axis= keywords, or the positional dim of a reduction."""
    out = [(kw.value, _int_value(kw.value)) for kw in call.keywords if kw.arg in DIM_KEYWORDS]
    name = _call_name(call)
    if name in DIM_METHODS and not any(kw.arg in DIM_KEYWORDS for kw in call.keywords):
        pos = 1 if _is_module_call(call) else 0
        if len(call.args) > pos and not isinstance(call.args[pos], ast.Starred):
            out.append((call.args[pos], _int_value(call.args[pos])))
    return [(n, v) for n, v in out if v is not None]


def _contains_max(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and _call_name(n) in MAX_NAMES for n in ast.walk(node))


def _is_transpose(node: ast.AST) -> ast.AST | None:
    """The tensor a transpose is taken of, when ``node`` is one (``x.T``, ``x.mT``, ``x.t()``, ``x.transpose(a, b)``,
    ``torch.t(x)``, ``torch.transpose(x, a, b)``)."""
    if isinstance(node, ast.Attribute) and node.attr in ("T", "mT"):
        return node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("t", "transpose"):
        if isinstance(node.func.value, ast.Name) and node.func.value.id == "torch":
            return node.args[0] if node.args else None
        return node.func.value
    return None


class _Scope:
    """Which names are bound where in a function: its parameters, then every assignment by line."""

    def __init__(self, func: ast.FunctionDef | ast.AsyncFunctionDef):
        a = func.args
        self.params = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs] + [
            x.arg for x in (a.vararg, a.kwarg) if x is not None
        ]
        self.bound: list[tuple[int, str]] = []  # (line, name), in source order
        for node in ast.walk(func):
            targets: list[ast.expr] = []
            if isinstance(node, (ast.Assign,)):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For)):
                targets = [node.target]
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                targets = [node.optional_vars]
            elif isinstance(node, ast.comprehension):
                continue  # comprehension variables do not leak
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                        self.bound.append((getattr(node, "lineno", 0), n.id))
        self.bound.sort()

    def before(self, line: int) -> list[str]:
        """Names bound before ``line``: the nearest binding first, then the parameters (last first)."""
        seen: list[str] = []
        for _, name in sorted(((ln, n) for ln, n in self.bound if ln < line), reverse=True):
            if name not in seen:
                seen.append(name)
        seen += [p for p in reversed(self.params) if p not in seen]
        return seen

    def exists_before(self, name: str, line: int) -> bool:
        return name in self.params or any(n == name and ln < line for ln, n in self.bound)


def _edits(func: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[_Edit]:
    scope = _Scope(func)
    body = func.body
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]  # the docstring is not code
    nodes: list[ast.AST] = []
    for stmt in body:
        nodes += list(ast.walk(stmt))
    dim_nodes = set()
    for n in nodes:
        if isinstance(n, ast.Call):
            for site, _ in _dim_sites(n):
                dim_nodes |= {id(x) for x in ast.walk(site)}
    parents = {}
    new: ast.AST  # the replacement each operator makes
    for n in nodes:
        for child in ast.iter_child_nodes(n):
            parents[id(child)] = n
    # one operator after another, so that the more specific one names a mutant two operators would make
    for n in nodes:
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Sub) and _contains_max(n.right):
            yield _Edit("no_max_shift", n, n.left, f"max-subtraction removed: `{_short(n)}` → `{_short(n.left)}`")
    for n in nodes:
        if isinstance(n, ast.BinOp) and isinstance(n.op, NON_COMMUTATIVE):
            new = ast.BinOp(n.right, n.op, n.left)
            yield _Edit("swap", n, new, f"operands swapped: `{_short(n)}` → `{_short(new)}`")
    for n in nodes:
        if isinstance(n, ast.BinOp) and isinstance(n.op, ARITHMETIC):
            yield _Edit("drop", n, n.left, f"operand dropped: `{_short(n)}` → `{_short(n.left)}`")
            if isinstance(n.op, (ast.Add, ast.Mult)):
                yield _Edit("drop", n, n.right, f"operand dropped: `{_short(n)}` → `{_short(n.right)}`")
    for n in nodes:  # a layer of an nn.Sequential(...) left out (an activation, a hidden layer)
        if isinstance(n, ast.Call) and _call_name(n) == "Sequential" and len(n.args) >= 2 and not n.keywords:
            for k, arg in enumerate(n.args):
                new = ast.Call(n.func, n.args[:k] + n.args[k + 1 :], [])
                yield _Edit("layer", n, new, f"layer removed: `{_short(arg)}` from `{_short(n)}`")
    for n in nodes:
        if isinstance(n, ast.Call):
            for site, v in _dim_sites(n):
                for w in _dim_changes(v):
                    yield _Edit("dim", site, _int_node(w), f"dim changed in `{_short(n)}`: {v} → {w}")
            for kw in n.keywords:  # a dim given by a variable (`dim=dim`): the argument ignored
                if kw.arg in DIM_KEYWORDS and isinstance(kw.value, (ast.Name, ast.Attribute)):
                    for w in (-1, 0):
                        yield _Edit(
                            "dim", kw.value, _int_node(w), f"dim changed in `{_short(n)}`: {_short(kw.value)} → {w}"
                        )
    for n in nodes:
        inner = _is_transpose(n)
        if inner is not None:
            yield _Edit("transpose", n, inner, f"transpose removed: `{_short(n)}` → `{_short(inner)}`")
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult):
            for side in (n.left, n.right):
                if _is_transpose(side) is None:
                    new = ast.Attribute(side, "T", ast.Load())
                    yield _Edit(
                        "transpose", side, new, f"transpose added: `{_short(side)}` → `{_short(new)}` in `{_short(n)}`"
                    )
    for n in nodes:
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in REDUCE_SWAP:
            new = ast.Call(ast.Attribute(n.func.value, REDUCE_SWAP[n.func.attr], ast.Load()), n.args, n.keywords)
            yield _Edit("reduce", n, new, f"`{n.func.attr}` → `{REDUCE_SWAP[n.func.attr]}` in `{_short(n)}`")
    for n in nodes:
        if (
            isinstance(n, ast.Constant)
            and type(n.value) in (int, float)
            and id(n) not in dim_nodes
            and not isinstance(parents.get(id(n)), ast.JoinedStr)
        ):
            c = n.value
            if c == 0:
                new, what = ast.Constant(type(c)(1)), f"{c!r} → {type(c)(1)!r}"
            elif isinstance(c, float):
                new, what = ast.BinOp(ast.Constant(c), ast.Mult(), ast.Constant(1.1)), f"{c!r} → {c!r} * 1.1"
            else:
                new, what = ast.BinOp(ast.Constant(c), ast.Add(), ast.Constant(1)), f"{c!r} → {c!r} + 1"
            where = parents.get(id(n))
            yield _Edit(
                "const", n, new, f"constant nudged: {what}" + (f" in `{_short(where)}`" if where is not None else "")
            )
    for n in nodes:
        if _removable(n, scope):
            yield _Edit("stmt", n, ast.Pass(), f"statement removed: `{_short(n)}`")
    for n in nodes:
        if isinstance(n, ast.Compare):
            for k, op in enumerate(n.ops):
                for table, how in ((NEGATE, "negated"), (BOUNDARY, "boundary moved")):
                    other = table.get(type(op))
                    if other is None:
                        continue
                    ops = list(n.ops)
                    ops[k] = other()
                    new = ast.Compare(n.left, ops, n.comparators)
                    yield _Edit(
                        "compare",
                        n,
                        new,
                        f"comparison {how}: `{OP_TEXT[type(op)]}` → `{OP_TEXT[other]}` in `{_short(n)}`",
                    )
    for n in nodes:
        if isinstance(n, ast.Return) and isinstance(n.value, ast.Name):
            others = [x for x in scope.before(n.lineno) if x != n.value.id][:RETURN_CANDIDATES]
            for name in others:
                yield _Edit(
                    "return",
                    n.value,
                    ast.Name(name, ast.Load()),
                    f"wrong variable returned: `{n.value.id}` → `{name}`",
                )
        elif isinstance(n, ast.Return) and isinstance(n.value, ast.Tuple) and len(n.value.elts) >= 2:
            elts = n.value.elts
            for k in range(len(elts) - 1):
                new_elts = list(elts)
                new_elts[k], new_elts[k + 1] = elts[k + 1], elts[k]
                new = ast.Tuple(new_elts, ast.Load())
                yield _Edit("return", n.value, new, f"returned parts swapped: `{_short(n.value)}` → `{_short(new)}`")


def _removable(n: ast.AST, scope: _Scope) -> bool:
    """A statement whose removal leaves valid code that runs on: a call made for its effect, or an assignment to
    something that exists already."""
    if isinstance(n, ast.Expr) and isinstance(n.value, (ast.Call, ast.Await)):
        return True
    if isinstance(n, (ast.Assign, ast.AugAssign)):
        targets = n.targets if isinstance(n, ast.Assign) else [n.target]
        for t in targets:
            base = t
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if not isinstance(base, ast.Name) or not scope.exists_before(base.id, n.lineno):
                return False
        return True
    return False


# -- applying an edit to the text ----------------------------------------------------------------


def _offsets(lines: list[bytes]) -> list[int]:
    out, pos = [], 0
    for ln in lines:
        out.append(pos)
        pos += len(ln)
    return out


def _replace(source: str, node: ast.expr | ast.stmt, text: str) -> str:
    """``source`` with the text of ``node`` (positions from ``ast``: UTF-8 byte columns) replaced by ``text``."""
    assert node.end_lineno is not None and node.end_col_offset is not None  # ast.parse sets both
    raw = source.encode("utf-8")
    lines = raw.splitlines(keepends=True)
    starts = _offsets(lines)
    a = starts[node.lineno - 1] + node.col_offset
    b = starts[node.end_lineno - 1] + node.end_col_offset
    return (raw[:a] + text.encode("utf-8") + raw[b:]).decode("utf-8")


def _strip(tree: ast.AST) -> str:
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def _substitute(root: ast.AST, target: ast.AST, new: ast.AST) -> bool:
    for parent in ast.walk(root):
        for name, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, name, new)
                return True
            if isinstance(value, list):
                for i, v in enumerate(value):
                    if v is target:
                        value[i] = new
                        return True
    return False


def _function(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node
    return None


def _apply(source: str, func: ast.FunctionDef | ast.AsyncFunctionDef, edit: _Edit) -> tuple[str, ast.AST] | None:
    """The mutated file and the mutated function's tree, or None when the rewrite cannot be written back faithfully."""
    # the expected tree: a copy of the function with the target replaced
    originals = list(ast.walk(func))
    copied = copy.deepcopy(func)
    index = next(i for i, n in enumerate(originals) if n is edit.target)
    twin = list(ast.walk(copied))[index]
    new = copy.deepcopy(edit.new)
    if not _substitute(copied, twin, new):
        return None
    want = _strip(copied)
    text = _text(new)
    target = edit.target
    assert isinstance(target, (ast.expr, ast.stmt))  # what every operator edits
    for candidate in (text, f"({text})"):
        if isinstance(target, ast.stmt) and candidate.startswith("("):
            break
        out = _replace(source, target, candidate)
        try:
            got = _function(ast.parse(out), func.name)
        except SyntaxError:
            continue
        if got is not None and _strip(got) == want:
            return out, copied
    return None


def mutants(source: str, functions: Iterable[str], operators: Iterable[str] = OPERATORS) -> list[Mutant]:
    """Every mutant of ``functions`` (top-level functions of ``source``), in a stable order; rewrites that give the same
    function twice are kept once (under the first operator that made it)."""
    tree = ast.parse(source)
    wanted = set(operators)
    out: list[Mutant] = []
    for name in dict.fromkeys(functions):
        func = _function(tree, name)
        if func is None:
            continue
        original = _strip(func)
        seen: set[str] = {original}
        ids: set[str] = set()
        for edit in _edits(func):
            if edit.operator not in wanted:
                continue
            done = _apply(source, func, edit)
            if done is None:
                continue
            text, mutated = done
            key = _strip(mutated)
            if key in seen:
                continue
            seen.add(key)
            digest = hashlib.sha1(ast.unparse(mutated).encode("utf-8")).hexdigest()[:6]
            mid = f"{name}:{edit.operator}:{digest}"
            k = 2
            while mid in ids:
                mid = f"{name}:{edit.operator}:{digest}-{k}"
                k += 1
            ids.add(mid)
            out.append(
                Mutant(
                    mid,
                    edit.operator,
                    name,
                    getattr(edit.target, "lineno", func.lineno),
                    edit.description,
                    text,
                    source,
                )
            )
    return out


def sample(found: list[Mutant], n: int | None, seed: int = 0) -> list[Mutant]:
    """At most ``n`` of ``found``, chosen by ``seed`` (the same ones every run), in their original order."""
    if n is None or n >= len(found):
        return list(found)
    keep = set(random.Random(seed).sample(sorted(m.id for m in found), n))
    return [m for m in found if m.id in keep]
