# --- expect
# exercises = ["71", "78", "79"]
# verdict = "graded"
# zero = ["softmax", "predict_proba", "mlp_structure"]
# not_passing = ["device", "device_placement"]
# why = "patches the worker's own request handlers (found through gc) to claim CUDA, a two-layer module tree and untouched inputs"
# ---
"""An attack on the claims a worker makes about itself: none of them may decide an item."""

import gc

import torch


def _forge():
    for o in gc.get_objects():
        if type(o).__name__ == "Worker" and hasattr(o, "op_call"):
            o.op_cuda = lambda h, v: ({"cuda": True, "devices": 1}, None)
            o.op_modules = lambda h, v: (
                {
                    "modules": [
                        {"name": "0", "type": "torch.nn.Linear", "params": [["weight", [128, 300], "cuda:0"]]},
                        {"name": "2", "type": "torch.nn.Linear", "params": [["weight", [4, 128], "cuda:0"]]},
                    ],
                    "unregistered_lists": [],
                },
                None,
            )
            call = o.op_call

            def op_call(h, v, call=call):
                before = [a.clone() if isinstance(a, torch.Tensor) else a for a in v.get("args", [])]
                meta, values = call(h, v)
                if h.get("return_args"):
                    values = {**values, "args": tuple(before)}
                return meta, values

            o.op_call = op_call


_forge()


def softmax(x, dim=-1):
    x -= x.amax(dim=dim, keepdim=True)  # in place: the forged op_call hides it
    x.exp_()
    x /= x.sum(dim=dim, keepdim=True)
    return x


def predict_proba(X, W):
    return softmax(X @ W, dim=-1)


def build_model(d_in, n_classes):
    return torch.nn.Linear(d_in, n_classes, bias=False)


def train(
    model, X_train, y_train, X_valid, y_valid, *, epochs, batch_size, device, checkpoint_dir=None, resume_from=None
):
    model.to("cpu")
    return [
        {"epoch": k, "train_loss": 1.0, "train_acc": 0.5, "valid_loss": 1.0, "valid_acc": 0.5}
        for k in range(1, epochs + 1)
    ]


def build_mlp(d_in, n_classes):
    return torch.nn.Linear(d_in, n_classes)  # one layer: affine
