# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# why = "softmax allocates and fills 20 GB: it fails under the memory limit, predict_proba passes"
# ---
"""softmax allocates and fills a 20 GB tensor before returning.

Under the checker's memory limit the allocation fails (or the worker is
killed).  Expected: softmax fails, predict_proba (self-contained) passes,
the checker exits 1 and the grading machine stays healthy.
"""
import torch


def softmax(x, dim=-1):
    print("nlp100-adv: attack ran", flush=True)
    big = torch.empty(5 * 10**9, dtype=torch.float32)  # 20 GB
    big.fill_(1.0)
    shifted = x - x.max(dim=dim, keepdim=True).values + big[0] - 1.0
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
