"""Likely mistakes, recognised from a wrong result.

Each ``hint_<name>(case, got, expected, what)`` returns a ``Msg`` when the
student's (wrong) result ``got`` matches what that mistake would produce,
else None.  An item's spec lists which hints apply.  ``expected`` is the
reference result (float64) for the same leaf; ``what`` names the leaf.
"""

from __future__ import annotations

import torch

from checker.messages import Msg


def _close(a: torch.Tensor, b: torch.Tensor, mag: float = 1.0) -> bool:
    if not isinstance(a, torch.Tensor) or a.shape != b.shape:
        return False
    a, b = a.double(), b.double()
    if not torch.isfinite(a).all() or not torch.isfinite(b).all():
        return False
    return bool(torch.allclose(a, b, rtol=1e-3, atol=1e-4 * max(1.0, mag)))


def _n(case) -> int:
    for a in case.args:
        if isinstance(a, torch.Tensor) and a.dim() >= 1:
            return int(a.shape[0])
    return 1


def _different(a, b) -> bool:
    return not _close(a, b)


def hint_transposed(case, got, expected, what):
    if (
        expected.dim() == 2
        and expected.shape[0] == expected.shape[1]
        and _different(expected, expected.T)
        and _close(got, expected.T, case.magnitude)
    ):
        return Msg("hint_transposed")
    return None


def hint_sign_flipped(case, got, expected, what):
    if expected.abs().max() > 0 and _close(got, -expected, case.magnitude):
        return Msg("hint_sign_flipped")
    return None


def hint_times_n(case, got, expected, what):
    n = _n(case)
    if n > 1 and expected.abs().max() > 0 and _close(got, expected * n, case.magnitude * n):
        return Msg("hint_times_n", {"n": n})
    return None


def hint_over_n(case, got, expected, what):
    n = _n(case)
    if n > 1 and expected.abs().max() > 0 and _close(got, expected / n, case.magnitude):
        return Msg("hint_over_n", {"n": n})
    return None


def hint_sum_not_mean(case, got, expected, what):
    n = _n(case)
    if n > 1 and expected.abs().max() > 0 and _close(got, expected * n, case.magnitude * n):
        return Msg("hint_sum_not_mean")
    return None


def hint_zero(case, got, expected, what):
    if isinstance(got, torch.Tensor) and got.numel() and bool((got == 0).all()) and expected.abs().max() > 0:
        return Msg("hint_zero")
    return None


def hint_other_dim(case, got, expected, what):
    x = case.args[0]
    if x.dim() != 2:
        return None
    dim = case.kwargs.get("dim", -1) % 2
    other = torch.softmax(x.double(), dim=1 - dim)
    if _different(other, expected) and _close(got, other):
        return Msg("hint_other_dim")
    return None


def hint_log_softmax(case, got, expected, what):
    logp = torch.log(expected.double().clamp_min(1e-300))
    if _close(got, logp, case.magnitude):
        return Msg("hint_log_softmax")
    return None


def hint_no_softmax(case, got, expected, what):
    X, W = case.args[0], case.args[1]
    if _close(got, (X.double() @ W.double()), case.magnitude):
        return Msg("hint_no_softmax")
    return None


def hint_bias_ignored(case, got, expected, what):
    if (
        len(case.args) > 2
        and case.args[2] is not None
        and case.args[2].abs().max() > 0
        and _close(got, case.args[0].double() @ case.args[1].double(), case.magnitude)
    ):
        return Msg("hint_bias_ignored")
    return None


def hint_bias_axis(case, got, expected, what):
    """grad_b summed over the wrong axis: a 1-D tensor of the wrong length (shown when the result's shape is wrong)."""
    if isinstance(got, (tuple, list)) and isinstance(expected, tuple) and len(got) == len(expected) == 3:
        g, e = got[2], expected[2]
        if isinstance(g, torch.Tensor) and g.dim() == 1 and tuple(g.shape) != tuple(e.shape):
            return Msg("hint_bias_axis")
    return None


def hint_no_onehot(case, got, expected, what):
    z = case.args[0].double()
    cand = torch.softmax(z, dim=-1) / z.shape[0]
    if _close(got, cand):
        return Msg("hint_no_onehot")
    return None


def _featurize_variant(case, count_unknown: bool, dedup: bool) -> torch.Tensor | None:
    titles, vectors = case.args[0], case.args[1]
    if not vectors:
        return None
    d = len(next(iter(vectors.values())))
    out = torch.zeros((len(titles), d), dtype=torch.float64)
    for i, t in enumerate(titles):
        toks = list(dict.fromkeys(t)) if dedup else list(t)
        known = [torch.as_tensor(vectors[w], dtype=torch.float64) for w in toks if w in vectors]
        denom = len(toks) if count_unknown else len(known)
        if known and denom:
            out[i] = torch.stack(known).sum(0) / denom
    return out


def hint_unknown_counted(case, got, expected, what):
    cand = _featurize_variant(case, True, False)
    if cand is not None and _different(cand, expected) and _close(got, cand, case.magnitude):
        return Msg("hint_unknown_counted")
    return None


def hint_dedup(case, got, expected, what):
    cand = _featurize_variant(case, False, True)
    if cand is not None and _different(cand, expected) and _close(got, cand, case.magnitude):
        return Msg("hint_dedup")
    return None
