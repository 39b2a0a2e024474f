"""NLP-100 chapter 8, exercise 79: a multi-layer neural network.

New in this exercise: `build_mlp`. It is trained with your own `train`
(exercises 73-78), which must therefore work for any model. Append this to
your file of exercises 73-78.
Grade with `check submit FILE`. Only the standard library, torch, numpy and
matplotlib may be imported.
"""
import torch


def build_mlp(d_in: int, n_classes: int) -> torch.nn.Module:
    """A multi-layer network: (n, d_in) float32 -> (n, n_classes) logits.

    At least one hidden layer with a non-linear activation between layers
    (e.g. Linear -> ReLU -> Linear), kept in registered modules
    (nn.Sequential or nn.ModuleList, not a plain list). No softmax at the
    output. Dropout and normalization are allowed: in eval mode the network
    must be deterministic.
    """
    raise NotImplementedError


# What `train` must honour for 79:
#   - any model: optimize model.parameters(), rely on no attribute such as
#     model.weight;
#   - the checker trains build_mlp's model in mini-batches of at least 2;
#   - call model.train() at the start of every epoch and measure the records
#     in model.eval(): the checker restores the model's mode after its own
#     measurements, so the mode `train` receives is the one your code left.
