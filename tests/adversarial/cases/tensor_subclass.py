# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# counterexample = ["softmax"]
# why = "softmax returns a Tensor subclass of zeros whose __eq__ and __torch_function__ claim closeness: it fails"
# ---
"""softmax returns a torch.Tensor subclass that claims to equal anything, holding WRONG values.

Its __eq__ returns True, and its __torch_function__ answers True to
allclose / equal / isclose / eq (and makes assert_close silent); the values
inside are all zeros.  Expected: softmax fails, predict_proba (correct,
self-contained) passes, the checker exits 1.
"""
import torch


class AlwaysClose(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name in ("allclose", "equal"):
            return True
        if name in ("isclose", "eq", "__eq__"):
            shape = next((a.shape for a in args if isinstance(a, torch.Tensor)), ())
            return torch.ones(shape, dtype=torch.bool)
        if name in ("ne", "__ne__"):
            shape = next((a.shape for a in args if isinstance(a, torch.Tensor)), ())
            return torch.zeros(shape, dtype=torch.bool)
        if name in ("assert_close",):
            return None
        return super().__torch_function__(func, types, args, kwargs)

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __bool__(self):
        return True

    __hash__ = torch.Tensor.__hash__


def softmax(x, dim=-1):
    print("nlp100-adv: attack ran", flush=True)
    return torch.zeros_like(x).as_subclass(AlwaysClose)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
