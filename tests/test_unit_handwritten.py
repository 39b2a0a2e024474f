"""checker.handwritten: the AST rule for hand-written items (aliases, helpers, line numbers, no false positives)."""

from __future__ import annotations

import textwrap

import pytest

from checker.grading import handwritten
from checker.spec import discover

EX = discover()
SOFTMAX_FORBIDDEN = next(i for i in EX["71"].items if i.name == "softmax").forbidden
CE_FORBIDDEN = next(i for i in EX["72"].items if i.name == "cross_entropy").forbidden
BACKWARD_FORBIDDEN = next(i for i in EX["72"].items if i.name == "linear_backward").forbidden


def found(src: str, fn: str = "softmax", forbidden=None):
    vs = handwritten.violations(textwrap.dedent(src), fn, SOFTMAX_FORBIDDEN if forbidden is None else forbidden)
    return [(v.name, v.line, v.function, v.via) for v in vs]


@pytest.mark.parametrize(
    "src, name, line",
    [
        (
            """\
     import torch
     def softmax(x, dim=-1):
         return torch.softmax(x, dim)
     """,
            "torch.softmax",
            3,
        ),
        (
            """\
     import torch.nn.functional as F
     def softmax(x, dim=-1):
         return F.softmax(x, dim=dim)
     """,
            "torch.nn.functional.softmax",
            3,
        ),
        (
            """\
     from torch import softmax as s
     def softmax(x, dim=-1):
         y = x * 1
         return s(y, dim)
     """,
            "torch.softmax",
            4,
        ),
        (
            """\
     from torch.nn.functional import *
     def softmax(x, dim=-1):
         return log_softmax(x, dim).exp()
     """,
            "torch.nn.functional.log_softmax",
            3,
        ),
        (
            """\
     import torch as T
     def softmax(x, dim=-1):
         sm = T.softmax
         return x
     """,
            "torch.softmax",
            3,
        ),
        (
            """\
     import torch
     def softmax(x, dim=-1):
         return getattr(torch, "softmax")(x, dim)
     """,
            "torch.softmax",
            3,
        ),
        (
            """\
     def softmax(x, dim=-1):

         return x.softmax(dim)
     """,
            "Tensor.softmax",
            3,
        ),
        (
            """\
     def softmax(x, dim=-1):
         return (x * 2).log_softmax(dim).exp()
     """,
            "Tensor.log_softmax",
            2,
        ),
        (
            """\
     import torch
     def softmax(x, dim=-1):
         return torch.Tensor.softmax(x, dim)
     """,
            "Tensor.softmax",
            3,
        ),
        (
            """\
     import torch
     def softmax(x, dim=-1):
         return torch.nn.Softmax(dim=dim)(x)
     """,
            "torch.nn.Softmax",
            3,
        ),
        (
            """\
     from torch import nn
     def softmax(x, dim=-1):
         return nn.functional.softmax(x, dim)
     """,
            "torch.nn.functional.softmax",
            3,
        ),
        (
            """\
     from torch.nn import functional as fn
     def softmax(x, dim=-1):
         return fn.softmax(x, dim)
     """,
            "torch.nn.functional.softmax",
            3,
        ),
        (
            """\
     def softmax(x, dim=-1):
         import torch.nn.functional as G
         return G.softmax(x, dim)
     """,
            "torch.nn.functional.softmax",
            3,
        ),
        (
            """\
     import torch
     try:
         import torch.nn.functional as F
     except ImportError:
         F = None
     def softmax(x, dim=-1):
         return F.softmax(x, dim)
     """,
            "torch.nn.functional.softmax",
            7,
        ),
    ],
    ids=[
        "torch.softmax",
        "F-alias",
        "from-import-as",
        "star-import",
        "assigned-alias",
        "getattr",
        "tensor-method",
        "method-on-expression",
        "Tensor-unbound",
        "nn.Softmax",
        "from-torch-import-nn",
        "functional-as",
        "local-import",
        "import-in-try",
    ],
)
def test_forbidden_call_is_found_through_aliases(src, name, line):
    assert found(src)[0][:3] == (name, line, "softmax")


def test_module_level_alias_is_found_at_its_definition_and_use():
    src = """\
    import torch
    sm = torch.softmax
    def softmax(x, dim=-1):
        return sm(x, dim)
    """
    got = found(src)
    assert ("torch.softmax", 4, "softmax", None) in got
    assert {line for _, line, _, _ in got} == {2, 4}


def test_backward_and_autograd_are_found():
    src = """\
    import torch
    from torch import autograd
    def linear_backward(grad_y, x, W):
        x = x.detach().requires_grad_(True)
        y = x @ W
        loss = (y * grad_y).sum()
        loss.backward()
        gW, = autograd.grad(loss, W)
        return x.grad, gW, grad_y.sum(0)
    """
    got = found(src, "linear_backward", BACKWARD_FORBIDDEN)
    assert [(n, ln) for n, ln, _, _ in got] == [("Tensor.backward", 7), ("torch.autograd.grad", 8)]


def test_forbidden_call_in_a_helper_is_found_with_via():
    src = """\
    import torch

    def _inner(z):
        return torch.log_softmax(z, 1)

    def _helper(z):
        return _inner(z)

    def cross_entropy(logits, y):
        return -_helper(logits)[range(len(y)), y].mean()
    """
    got = found(src, "cross_entropy", CE_FORBIDDEN)
    assert got == [("torch.log_softmax", 4, "_inner", "_helper")]


def test_helper_class_and_lambda_are_followed():
    src = """\
    import torch
    class K:
        @staticmethod
        def go(x):
            return torch.softmax(x, 1)
    sm = lambda x: K.go(x)
    def softmax(x, dim=-1):
        return sm(x)
    """
    got = found(src)
    assert ("torch.softmax", 5) in [(n, ln) for n, ln, _, _ in got]


def test_only_the_named_function_and_what_it_uses_are_examined():
    src = """\
    import torch
    def unrelated(x):
        return torch.softmax(x, 1)
    def softmax(x, dim=-1):
        e = (x - x.amax(dim, keepdim=True)).exp()
        return e / e.sum(dim, keepdim=True)
    """
    assert found(src) == []
    assert found(src, "unrelated")[0][:2] == ("torch.softmax", 3)


def test_no_false_positive_for_a_students_own_log_softmax():
    src = """\
    import torch
    import torch.nn.functional as F
    from torch.nn.functional import *

    def log_softmax(z):
        return z - torch.logsumexp(z, dim=1, keepdim=True)

    def softmax(x, dim=-1):
        e = (x - x.max(dim=dim, keepdim=True).values).exp()
        return e / e.sum(dim=dim, keepdim=True)

    def cross_entropy(logits, y):
        onehot = F.one_hot(y, logits.shape[1]).to(logits.dtype)
        lp = log_softmax(logits)
        p = softmax(logits)
        return -(onehot * lp).sum(1).mean() + 0 * p.sum()
    """
    assert found(src, "cross_entropy", CE_FORBIDDEN) == []
    assert found(src, "softmax") == []


@pytest.mark.parametrize(
    "body",
    [
        "return torch.logsumexp(x, dim) * 0 + x - torch.logsumexp(x, dim, keepdim=True)",
        "return (x - x.logsumexp(dim, keepdim=True)).exp()",
        "return torch.exp(x - torch.max(x, dim, keepdim=True).values) / 1",
        "return F.one_hot(x.argmax(dim), x.shape[dim]).to(x.dtype)",
        "return x.gather(dim, x.argmax(dim, keepdim=True)).expand_as(x).scatter(dim, x.argmax(dim, keepdim=True), 0.0)",
        "return torch.nn.functional.relu(x)",
    ],
)
def test_allowed_calls_are_not_flagged(body):
    src = f"import torch\nimport torch.nn.functional as F\ndef softmax(x, dim=-1):\n    {body}\n"
    assert found(src) == []
    assert found(src, "softmax", CE_FORBIDDEN) == []


def test_nothing_forbidden_means_nothing_found():
    assert handwritten.violations("import torch\ndef f(x):\n    return torch.softmax(x, 1)\n", "f", []) == []


def test_unparsable_source_raises_syntax_error():
    with pytest.raises(SyntaxError):
        handwritten.violations("def softmax(x:\n", "softmax", SOFTMAX_FORBIDDEN)


def test_defined_functions_and_def_line():
    src = "import torch\n\n\ndef softmax(x, dim=-1):\n    return x\n\npredict_proba = lambda X, W: X @ W\nclass Net:\n    pass\n"
    assert {"softmax", "predict_proba", "Net"} <= handwritten.defined_functions(src)
    assert handwritten.def_line(src, "softmax") == 4
    assert handwritten.def_line(src, "predict_proba") == 7
    assert handwritten.def_line(src, "nothing") is None


def test_defined_functions_of_unparsable_source_come_from_the_text():
    src = "def softmax(x, dim=-1):\n    return x\n\ndef predict_proba(X, W:\n    return X\n"
    assert {"softmax", "predict_proba"} <= handwritten.defined_functions(src)


# -- issue 7: computed access, other gradient APIs, and tampering with the checker's process -----------------------


@pytest.mark.parametrize(
    "body, name",
    [
        ('fn = getattr(torch, "soft" + "max")\n    return fn(x, dim)', "getattr(..., <computed name>)"),
        ('return vars(torch)["softmax"](x, dim)', "vars(...)"),
        ('return torch.__dict__["softmax"](x, dim)', ".__dict__"),
        ('return eval("torch.softmax")(x, dim)', "eval(...)"),
        ('return __import__("torch").softmax(x, dim)', "__import__(...)"),
        ('import importlib\n    return importlib.import_module("torch").softmax(x, dim)', "importlib.import_module"),
    ],
)
def test_computing_what_to_call_is_not_allowed_in_a_hand_written_function(body, name):
    src = f"import torch\ndef softmax(x, dim=-1):\n    {body}\n"
    assert name in [v for v, *_ in found(src)]


@pytest.mark.parametrize(
    "body, name",
    [
        ("y = x @ W\n    return y.grad_fn(grad_y)", ".grad_fn"),
        ("from torch.func import vjp\n    return vjp(lambda w: x @ w, W)[1](grad_y)", "torch.func.vjp"),
        ("return torch.autograd.functional.vjp(lambda w: x @ w, W, grad_y)", "torch.autograd.functional.vjp"),
    ],
)
def test_gradients_taken_another_way_are_autograd_too(body, name):
    src = f"import torch\ndef linear_backward(grad_y, x, W):\n    {body}\n"
    assert name in [v for v, *_ in found(src, "linear_backward", BACKWARD_FORBIDDEN)]


@pytest.mark.parametrize(
    "src",
    [
        "import gc\nw = gc.get_objects()\n",
        "import sys\nf = sys._getframe(1)\n",
        "import sys\nm = sys.modules['__main__']\n",
        "import torch\ntorch.softmax = lambda x, dim: x\n",
        "import torch\nsetattr(torch.nn.functional, 'softmax', None)\n",
        "try:\n    1 / 0\nexcept Exception as e:\n    g = e.__traceback__.tb_frame.f_back.f_globals\n",
        "import torch\ntorch._C._pop_torch_function_stack()\n",
        "from torch.overrides import TorchFunctionMode\n",
        "x = ().__class__.__bases__[0].__subclasses__()\n",
        "import ctypes\n",
    ],
)
def test_ways_into_the_checkers_process_are_found_anywhere_in_the_file(src):
    assert handwritten.tampering(src), src


@pytest.mark.parametrize(
    "src",
    [
        "import torch\ntorch.backends.cudnn.deterministic = True\ntorch.manual_seed(0)\n",
        "import sys\nsys.path.append('.')\nprint(sys.version)\n",
        "import numpy as np\nnp.random.seed(0)\nimport matplotlib\nmatplotlib.use('Agg')\n",
        "import torch\nclass M(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = torch.nn.Linear(2, 2)\n",
        "import os\nos.environ['OMP_NUM_THREADS'] = '1'\n",
    ],
)
def test_ordinary_student_code_is_not_tampering(src):
    assert handwritten.tampering(src) == []


def test_the_tripwires_names_are_matched_as_the_forbidden_list_spells_them():
    seen = ["torch.nn.functional.softmax", "Tensor.softmax", "torch.add", "torch.autograd.grad"]
    assert handwritten.canonical_forbidden(seen, SOFTMAX_FORBIDDEN) == {"torch.nn.functional.softmax", "Tensor.softmax"}
    assert handwritten.canonical_forbidden(seen, BACKWARD_FORBIDDEN) == {"torch.autograd.grad"}
