"""Short, copy-pasteable text for values shown to students."""

from __future__ import annotations

import math
from typing import SupportsFloat

import numpy as np
import torch

from .sandbox.wire import Handle, Opaque

SMALL = 24


def number(x: SupportsFloat) -> str:
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e6:
        return f"{x:.1f}"
    return f"{x:.4g}"


def precise(x: float) -> str:
    """A number with enough digits to see how far it is from a round value (0.99981, 1.0000003)."""
    return f"{float(x):.8g}"


def index(idx) -> str:
    if idx is None or idx == ():
        return ""
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def _exact(x: float, dtype: torch.dtype) -> str:
    if math.isnan(x):
        return "float('nan')"
    if math.isinf(x):
        return "float('inf')" if x > 0 else "float('-inf')"
    s = str(np.float32(x)) if dtype in (torch.float32, torch.float16, torch.bfloat16) else repr(float(x))
    return s if ("." in s or "e" in s or "n" in s) else s + "."


def tensor_literal(t: torch.Tensor) -> str:
    """``torch.tensor([...], dtype=...)``, exact enough to reproduce the case."""
    vals = t.detach().cpu()
    if vals.dtype.is_floating_point:
        body = _nested(vals.double().tolist(), lambda v: _exact(v, vals.dtype))
    else:
        body = _nested(vals.tolist(), lambda v: repr(v))
    dt = "" if vals.dtype in (torch.float32, torch.int64) else f", dtype=torch.{str(vals.dtype).split('.')[-1]}"
    return f"torch.tensor({body}{dt})"


def _nested(v, leaf) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_nested(x, leaf) for x in v) + "]"
    return leaf(v)


def value(v, recipe: str | None = None) -> str:
    """Any value that crossed the pipe (or an input), as short text."""
    if isinstance(v, torch.Tensor):
        if v.numel() <= SMALL:
            return tensor_literal(v)
        desc = f"<tensor of shape {tuple(v.shape)}, {str(v.dtype).split('.')[-1]}"
        if v.dtype.is_floating_point and v.numel():
            fin = v[torch.isfinite(v)]
            if fin.numel():
                desc += f", values in [{number(fin.min())}, {number(fin.max())}]"
            nonfin = v.numel() - fin.numel()
            if nonfin:
                desc += f", {nonfin} nan/inf"
        desc += ">"
        return recipe or desc
    if isinstance(v, np.ndarray):
        return (
            f"np.array({v.tolist()!r}, dtype=np.{v.dtype})"
            if v.size <= SMALL
            else f"<ndarray of shape {v.shape}, {v.dtype}>"
        )
    if isinstance(v, tuple):
        return "(" + ", ".join(value(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, list):
        if len(v) > SMALL:
            return f"<list of {len(v)} items>"
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        if len(v) > SMALL:
            return f"<dict of {len(v)} items>"
        return "{" + ", ".join(f"{repr(k)[:50]}: {value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, Opaque):
        return repr(v)
    if isinstance(v, Handle):
        return "<object>"
    if isinstance(v, float):
        return number(v)
    r = repr(v)
    return r if len(r) < 200 else r[:200] + "..."


def call(fn: str, args, kwargs, recipes: dict | None = None) -> str:
    recipes = recipes or {}
    parts = [value(a, recipes.get(i)) for i, a in enumerate(args)]
    parts += [f"{k}={value(v, recipes.get(k))}" for k, v in kwargs.items()]
    return f"{fn}({', '.join(parts)})"
