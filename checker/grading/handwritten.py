"""The "hand-written" rule: an AST look at a function and at what it calls in the same file.

``violations(source, function, forbidden)`` names every use of a forbidden
call in ``function`` and in the module-level functions and classes it uses,
transitively.  Names are resolved through imports and simple assignments, so
``import torch.nn.functional as F; F.softmax``, ``from torch import softmax as
s``, ``sm = torch.softmax`` and ``getattr(torch, "softmax")`` are all seen as
``torch.softmax``.  A method on an object that is not a module (``x.softmax(1)``,
``loss.backward()``) resolves to ``Tensor.<name>``.  Any reference counts, not
only a call, so ``f = torch.softmax; f(x)`` is caught at the first line.

Beyond the spec's list, a hand-written function may not compute *what* to call
(``getattr`` with a computed name, ``__dict__``, ``vars``, ``eval``/``exec``,
``importlib``/``__import__``), nor take gradients another way (``grad_fn``;
``torch.func``, ``functorch`` and ``torch.autograd.functional`` where autograd
is forbidden).  And anywhere in the file, ``tampering`` finds the ways into the
checker's own process (frames, ``gc``, ``sys.modules``, ``torch._C``,
``torch.overrides``, assignments to torch's attributes, ...): a submission that
would disarm the runtime tripwire or forge a worker's answer must use one.

The grader parses the submission's text; it never imports it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

# a forbidden name also covers these spellings of it
ALIASES = {
    "torch.Tensor.": "Tensor.",
    "torch.nn.modules.loss.": "torch.nn.",
    "torch.nn.modules.activation.": "torch.nn.",
    "torch.functional.": "torch.",
    "torch._C._nn.": "torch.nn.functional.",
    "torch._C._VariableFunctions.": "torch.",
}


AUTOGRAD = {"Tensor.backward", "torch.autograd.grad", "torch.autograd.backward"}
GRADIENT_APIS = ("torch.func.", "functorch.", "torch.autograd.functional.", "torch._functorch.")
COMPUTED_CALLS = {"eval", "exec", "compile", "__import__", "vars"}
COMPUTED_ATTRS = {"__dict__", "__getattribute__", "grad_fn", "next_functions", "_saved_self", "_saved_result"}
# ways into the interpreter (and so into the checker's worker): names, attributes and strings
TAMPER_NAMES = {
    "gc",
    "inspect",
    "ctypes",
    "__main__",
    "builtins",
    "__builtins__",
    "_getframe",
    "_current_frames",
    "tb_frame",
    "f_back",
    "f_globals",
    "f_locals",
    "f_builtins",
    "gi_frame",
    "cr_frame",
    "__globals__",
    "__closure__",
    "__code__",
    "__subclasses__",
    "__mro__",
    "__bases__",
    "_C",
    "overrides",
    "settrace",
    "setprofile",
    "addaudithook",
    "_pop_torch_function_stack",
    "_push_on_torch_function_stack",
    "_disabled_torch_function_impl",
    "DisableTorchFunction",
    "DisableTorchFunctionSubclass",
}
PATCHABLE = {
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "torch.Tensor",
    "Tensor",
    "torch.autograd",
    "torch.special",
    "torch.linalg",
    "torch.nn.Module",
    "torch.optim",
    "numpy",
    "builtins",
}  # monkeypatching these is tampering
TAMPER_QUALIFIED = (
    "sys.modules",
    "sys._getframe",
    "sys.settrace",
    "sys.setprofile",
    "torch._C",
    "torch.overrides",
    "torch._dynamo",
    "importlib",
    "gc.",
    "inspect.",
    "ctypes",
)


@dataclass(frozen=True)
class Violation:
    name: str  # the forbidden name, as in the spec's list
    line: int
    function: str  # where it was found
    via: str | None  # the helper it was found in, when not the graded function itself


def _canonical(q: str) -> str:
    for a, b in ALIASES.items():
        if q.startswith(a):
            return b + q[len(a) :]
    return q


class _Module:
    def __init__(self, tree: ast.Module):
        self.tree = tree
        self.defs: dict[str, ast.AST] = {}
        self.env: dict[str, str] = {}
        self.star: list[str] = []
        for node in self._module_level(tree.body):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defs[node.name] = node
        for node in self._module_level(tree.body):
            self._bind(node, self.env, self.star)
        for node in self._module_level(tree.body):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name = node.targets[0].id
                if isinstance(node.value, ast.Lambda) or name not in self.defs:
                    self.defs.setdefault(name, node)

    @staticmethod
    def _module_level(body):
        """Statements at module level, looking into if/try/with blocks but not into defs."""
        for node in body:
            yield node
            for field in ("body", "orelse", "finalbody", "handlers"):
                sub = getattr(node, field, None)
                if isinstance(sub, list) and not isinstance(
                    node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
                ):
                    yield from _Module._module_level(sub)

    def _bind(self, node, env: dict, star: list) -> None:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    env[a.asname] = a.name
                else:
                    top = a.name.split(".")[0]
                    env[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                if a.name == "*":
                    star.append(node.module)
                else:
                    env[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            q = self.qualify(node.value, env, star)
            if q and not q.startswith("Tensor."):
                env[node.targets[0].id] = q

    def qualify(self, node, env: dict, star: list) -> str | None:
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            return None
        if isinstance(node, ast.Attribute):
            base = self.qualify(node.value, env, star)
            if base is None:
                if isinstance(node.value, ast.Name) and node.value.id in self.defs:
                    return None
                return f"Tensor.{node.attr}"
            if base.startswith("Tensor."):
                return f"Tensor.{node.attr}"
            return f"{base}.{node.attr}"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
        ):
            attr = node.args[1]
            if isinstance(attr, ast.Constant) and isinstance(attr.value, str):
                base = self.qualify(node.args[0], env, star)
                return f"{base}.{attr.value}" if base and not base.startswith("Tensor.") else f"Tensor.{attr.value}"
        return None


def violations(source: str, function: str, forbidden: list[str]) -> list[Violation]:
    """Uses of ``forbidden`` names in ``function`` and what it calls. Raises SyntaxError on bad source."""
    if not forbidden:
        return []
    tree = ast.parse(source)
    mod = _Module(tree)
    wanted = {_canonical(f): f for f in forbidden}
    autograd_forbidden = bool(AUTOGRAD & set(wanted))
    found: list[Violation] = []
    seen: set[str] = set()
    todo: list[tuple[str, str | None]] = [(function, None)]
    while todo:
        name, via = todo.pop(0)
        if name in seen or name not in mod.defs:
            continue
        seen.add(name)
        node = mod.defs[name]
        env = dict(mod.env)
        star = list(mod.star)
        body = node.value if isinstance(node, ast.Assign) else node
        for sub in ast.walk(body):
            if isinstance(sub, (ast.Import, ast.ImportFrom, ast.Assign)):
                mod._bind(sub, env, star)
        for sub in ast.walk(body):
            q = None
            if isinstance(sub, (ast.Attribute, ast.Call)):
                q = mod.qualify(sub, env, star)
            elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                q = env.get(sub.id)
                if q is None and sub.id not in mod.defs:
                    for m in star:
                        if _canonical(f"{m}.{sub.id}") in wanted:
                            q = f"{m}.{sub.id}"
                if sub.id in mod.defs and sub.id not in seen:
                    todo.append((sub.id, sub.id if via is None else via))
            if q is not None:
                cq = _canonical(q)
                if cq in wanted:
                    found.append(Violation(wanted[cq], getattr(sub, "lineno", 0), name, via))
                elif (
                    autograd_forbidden
                    and cq.startswith(GRADIENT_APIS)
                    or cq.startswith(("importlib", "torch.overrides", "torch._C"))
                ):
                    found.append(Violation(cq, getattr(sub, "lineno", 0), name, via))
            computed = _computed(sub)
            if computed is not None:
                found.append(Violation(computed, getattr(sub, "lineno", 0), name, via))
    unique = {(v.name, v.line): v for v in found}
    return sorted(unique.values(), key=lambda v: (v.line, v.name))


def canonical_forbidden(names: list[str], forbidden: list[str]) -> set[str]:
    """Of ``names`` (what the tripwire saw), those the ``forbidden`` list names, as the list spells them."""
    wanted = {_canonical(f): f for f in forbidden}
    return {wanted[_canonical(n)] for n in names if _canonical(n) in wanted}


def _computed(node) -> str | None:
    """A construct that computes what to call or reaches for gradients another way, else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if (
            node.func.id in ("getattr", "setattr", "delattr", "hasattr")
            and len(node.args) >= 2
            and not (isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str))
        ):
            return f"{node.func.id}(..., <computed name>)"
        if node.func.id in COMPUTED_CALLS:
            return f"{node.func.id}(...)"
    if isinstance(node, ast.Attribute) and node.attr in COMPUTED_ATTRS:
        return f".{node.attr}"
    return None


def tampering(source: str) -> list[Violation]:
    """Anywhere in the file: ways into the interpreter and the checker's worker (frames, gc, sys.modules,
    torch._C, torch.overrides, assignments to torch's attributes). Raises SyntaxError on bad source."""
    tree = ast.parse(source)
    mod = _Module(tree)
    found: list[Violation] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        hit = None
        if isinstance(node, ast.Name) and node.id in TAMPER_NAMES:
            hit = node.id
        elif isinstance(node, ast.Attribute) and node.attr in TAMPER_NAMES:
            hit = f".{node.attr}"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in TAMPER_NAMES:
            hit = repr(node.value)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            )
            bad = [n for n in names if n and (n.split(".")[0] in TAMPER_NAMES or n.startswith(TAMPER_QUALIFIED))]
            hit = f"import {bad[0]}" if bad else None
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for t in targets:
                q = mod.qualify(t.value, mod.env, mod.star) if isinstance(t, ast.Attribute) else None
                if q is not None and q in PATCHABLE and isinstance(t, ast.Attribute):
                    hit = f"{q}.{t.attr} = ..."
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("setattr", "delattr")
            and node.args
        ):
            q = mod.qualify(node.args[0], mod.env, mod.star)
            if q is not None and not q.startswith("Tensor."):
                hit = f"{node.func.id}({q}, ...)"
        if hit is None and isinstance(node, (ast.Attribute, ast.Name)):
            q = mod.qualify(node, mod.env, mod.star)
            if q is not None and not q.startswith("Tensor.") and q.startswith(TAMPER_QUALIFIED):
                hit = q
        if hit is not None:
            found.append(Violation(hit, line, "<module>", None))
    unique = {(v.name, v.line): v for v in found}
    return sorted(unique.values(), key=lambda v: (v.line, v.name))


def defined_functions(source: str) -> set[str]:
    """Names defined at module level (def, class, or assignment), from the text alone."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        import re

        return set(re.findall(r"^(?:async\s+)?def\s+([A-Za-z_]\w*)", source, flags=re.M)) | set(
            re.findall(r"^([A-Za-z_]\w*)\s*=", source, flags=re.M)
        )
    return set(_Module(tree).defs)


def _is_stub(node) -> bool:
    """A function whose body (after its docstring) only says it is not written yet."""
    body = list(node.body)
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    if len(body) != 1:
        return not body
    st = body[0]
    if isinstance(st, ast.Pass) or (
        isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant) and st.value.value is Ellipsis
    ):
        return True
    if isinstance(st, ast.Raise) and st.exc is not None:
        exc = st.exc.func if isinstance(st.exc, ast.Call) else st.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


def stub_functions(source: str) -> set[str]:
    """Module-level functions still as the template left them (``raise NotImplementedError``, ``pass``, ``...``)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    defs = _Module(tree).defs
    return {
        n for n, node in defs.items() if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_stub(node)
    }


def def_line(source: str, function: str) -> int | None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    node = _Module(tree).defs.get(function)
    return getattr(node, "lineno", None)
