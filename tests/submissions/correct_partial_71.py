# --- expect
# kind = "correct"
# exercises = ["71"]
# failing = []
# passing = ["softmax", "predict_proba"]
# exit = 0
# why = "Defines only softmax and predict_proba: only exercise 71 is graded."
# ---
"""NLP-100 chapter 8, task 71 only: softmax and predict_proba, correct.

Exercises 70 and 72 define no function here, so they are not graded.
"""
import torch


def softmax(x, dim=-1):
    x_max, _ = torch.max(x, dim=dim, keepdim=True)
    e = torch.exp(x - x_max)
    return e / torch.sum(e, dim=dim, keepdim=True)


def predict_proba(X, W):
    if X.dim() == 1:
        return softmax(X @ W, dim=0)
    return softmax(X @ W, dim=1)
