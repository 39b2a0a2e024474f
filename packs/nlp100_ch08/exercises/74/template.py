"""NLP-100 chapter 8, exercise 74: measuring accuracy.

New in this exercise: `accuracy`, and the accuracies in the records that
`train` returns. Append this to your file of exercise 73, which has
`build_model` and `train` (they are not repeated here).
Grade with `check submit FILE`. Only the standard library, torch, numpy and
matplotlib may be imported.
"""
import torch


def accuracy(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Share of examples whose predicted class (argmax of the logits) equals y.

    Args:
        model: a network mapping (n, d) to (n, L) logits, on any device.
        X: float32 features, shape (n, d) (move it to the model's device).
        y: int64 class indices, shape (n,).

    Returns:
        A Python float in [0, 1] (not a tensor). Measured in eval mode
        without gradients; the model's parameters are not changed.
    """
    raise NotImplementedError


# What `train` (exercise 73) must add for 74 -- the accuracies of each record:
#   "train_acc": the accuracy on X_train, y_train
#   "valid_acc": the accuracy on X_valid, y_valid
# both measured on the model as it stands at the end of that epoch, over the
# whole set, in eval mode (model.eval(), torch.no_grad()): not a running count
# taken while the weights were still changing. `accuracy` can do it. Call
# model.train() again before the next epoch's updates.
# The checker measures the same from that epoch's weights and compares.
