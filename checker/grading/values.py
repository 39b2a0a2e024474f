"""Validation of values that came back from the sandbox, before anything compares them.

``like(got, expected, what)`` checks that ``got`` has the structure of the
reference result ``expected``: a plain ``torch.Tensor`` of the same shape
where a tensor is expected, a tuple of the same length, a real number where
a float is expected.  The wire decoder already guarantees that a tensor is a
fresh, plain CPU tensor of an allowed dtype; anything else (a subclass, a
pickle-bearing object, a numpy array) arrives as an ``Opaque`` description or
a plain Python value and is rejected here with a message naming its type.
"""

from __future__ import annotations


import numpy as np
import torch

from .. import fmt
from ..messages import Msg
from ..sandbox.wire import Opaque
from .outcome import CheckFailure


def describe(v) -> Msg:
    if isinstance(v, Opaque):
        if "subclass of torch.Tensor" in v.note:
            return Msg("tensor_subclass", {"type": v.type})
        return Msg("opaque", {"type": v.type + (f" ({v.note})" if v.note else "")})
    if isinstance(v, torch.Tensor):
        return Msg("a_value", {"type": f"a tensor of shape {tuple(v.shape)}"})
    if isinstance(v, np.ndarray):
        return Msg("a_value", {"type": "numpy.ndarray"})
    if isinstance(v, tuple):
        return Msg("a_tuple", {"n": len(v)})
    if isinstance(v, list):
        return Msg("a_list", {})
    if isinstance(v, dict):
        return Msg("a_dict", {})
    return Msg("a_value", {"type": type(v).__name__})


def expected_kind(v) -> Msg:
    if isinstance(v, torch.Tensor):
        return Msg("a_tensor", {})
    if isinstance(v, tuple):
        return Msg("a_tuple", {"n": len(v)})
    if isinstance(v, float):
        return Msg("a_float", {})
    return Msg("a_value", {"type": type(v).__name__})


class TypeMismatch(CheckFailure):
    """Raised with nested messages: the renderer turns ``got``/``expected`` Msgs into text."""


def like(got, expected, what: str, names: list[str] | None = None):
    """Return ``got`` (a tuple where a list of the right length came back) or raise CheckFailure.

    ``names`` name the parts of a tuple result (e.g. grad_x, grad_W, grad_b)."""
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            raise TypeMismatch("bad_type", {"what": what, "got": describe(got), "expected": expected_kind(expected)})
        if tuple(got.shape) != tuple(expected.shape):
            details = []
            if got.dim() == 2 and tuple(got.shape) == tuple(reversed(expected.shape)):
                details.append(Msg("hint_transposed"))
            raise CheckFailure(
                "bad_shape",
                {"what": what, "got": _shape(got.shape), "expected": _shape(expected.shape)},
                details=details,
            )
        return got
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)):
            raise TypeMismatch("bad_type", {"what": what, "got": describe(got), "expected": expected_kind(expected)})
        if len(got) != len(expected):
            raise CheckFailure("bad_len", {"what": what, "got": len(got), "expected": len(expected)})
        return tuple(
            like(g, e, names[i] if names and i < len(names) else f"{what}[{i}]")
            for i, (g, e) in enumerate(zip(got, expected))
        )
    if isinstance(expected, float):
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            if isinstance(got, Opaque) and got.type.startswith("numpy.float"):
                try:
                    return float(got.note)
                except ValueError:
                    pass
            if isinstance(got, torch.Tensor) and got.numel() == 1 and got.is_floating_point():
                return float(got.reshape(()))
            raise TypeMismatch("bad_type", {"what": what, "got": describe(got), "expected": expected_kind(expected)})
        return float(got)
    raise TypeError(f"validate.like: no rule for expected values of type {type(expected).__name__}")


def _shape(s) -> str:
    return "(" + ", ".join(str(x) for x in s) + ("," if len(s) == 1 else "") + ")"


def leaves(v, names: list[str] | None, base: str):
    """Pairs (name, tensor) of a result: ``base`` for a tensor, ``names[i]`` for a tuple's parts."""
    if isinstance(v, tuple):
        for i, x in enumerate(v):
            name = names[i] if names and i < len(names) else f"{base}[{i}]"
            yield from leaves(x, None, name)
    else:
        yield base, v


__all__ = ["like", "leaves", "describe", "fmt"]
