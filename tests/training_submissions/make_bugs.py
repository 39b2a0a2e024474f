"""Regenerate the one-bug training submissions from packs/nlp100_ch08/solution.py.

    .venv/bin/python tests/training_submissions/make_bugs.py

Each bug is one textual replacement in the reference; the script fails if a
replacement no longer matches, so the corpus cannot silently drift.
"""
from pathlib import Path

HERE = Path(__file__).resolve().parent
REF = (HERE.parent.parent / "packs" / "nlp100_ch08" / "solution.py").read_text(encoding="utf-8")

BUGS = {
    "no_step": ("            optimizer.step()\n", "            pass  # BUG: optimizer.step() is never called\n"),
    "valid_on_train": ("        valid_loss, valid_acc = _evaluate(model, X_valid, y_valid, device)",
                       "        valid_loss, valid_acc = _evaluate(model, X_train, y_train, device)  # BUG: valid metrics on the training set"),
    "epochs_from_0": ('        history.append({"epoch": epoch, ', '        history.append({"epoch": epoch - 1,  # BUG: epochs counted from 0\n                        '),
    "ignores_batch_size": ("        for i in range(0, n, batch_size):\n            idx = order[i:i + batch_size]",
                           "        for i in range(0, n, 1):  # BUG: batch_size ignored\n            idx = order[i:i + 1]"),
    "ignores_device": ("    model.to(device)\n", "    device = \"cpu\"  # BUG: the device argument is ignored\n    model.to(device)\n"),
    "ckpt_no_optimizer": ('            torch.save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict()},',
                          '            torch.save({"epoch": epoch, "model": model.state_dict()},  # BUG: no optimizer state'),
    "resume_drops_optimizer": ('        optimizer.load_state_dict(state["optimizer"])\n', '        # BUG: the optimizer state is not restored\n'),
    "ckpt_wrong_names": ('os.path.join(checkpoint_dir, f"epoch_{epoch}.pt")', 'os.path.join(checkpoint_dir, f"checkpoint{epoch:03d}.pth")'),  # BUG: names
    "accuracy_percent": ("    return (pred == y.to(device)).float().mean().item()",
                         "    return 100.0 * (pred == y.to(device)).float().mean().item()  # BUG: percent"),
    "double_softmax": ("    return torch.nn.Linear(d_in, n_classes, bias=False)",
                       "    # BUG: a Softmax layer before CrossEntropyLoss (which applies log-softmax itself)\n"
                       "    return torch.nn.Sequential(torch.nn.Linear(d_in, n_classes, bias=False), torch.nn.Softmax(dim=1))"),
    "no_zero_grad": ("            optimizer.zero_grad()\n", "            # BUG: optimizer.zero_grad() missing: gradients accumulate\n"),
    "mlp_plain_list": ("""def build_mlp(d_in, n_classes):
    return torch.nn.Sequential(
        torch.nn.Linear(d_in, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, n_classes),
    )""", """class MLP(torch.nn.Module):
    def __init__(self, d_in, n_classes):
        super().__init__()
        self.layers = [torch.nn.Linear(d_in, 128), torch.nn.Linear(128, n_classes)]  # BUG: a plain list, not registered

    def forward(self, x):
        return self.layers[1](torch.relu(self.layers[0](x)))


def build_mlp(d_in, n_classes):
    return MLP(d_in, n_classes)"""),
    "mlp_no_nonlinearity": ("        torch.nn.ReLU(),\n", "        # BUG: no non-linearity between the layers\n"),
    "plot_writes_nothing": ("    fig.savefig(path)\n", "    # BUG: the figure is never saved\n"),
    # -- issue 7: honest answers the checker must not misjudge, and wrong ones it used to pass --------------
    "wrong_history_valid_loss": ("        valid_loss, valid_acc = _evaluate(model, X_valid, y_valid, device)",
                                 "        valid_loss, valid_acc = _evaluate(model, X_valid, y_valid, device)\n"
                                 "        valid_loss = valid_loss * 1.5  # BUG: only the history's valid_loss is wrong"),
    "two_layer_build_model": ("    return torch.nn.Linear(d_in, n_classes, bias=False)",
                              "    # BUG: two layers, not the single-layer network of task 71\n"
                              "    return torch.nn.Sequential(torch.nn.Linear(d_in, 16), torch.nn.Linear(16, n_classes))"),
    "affine_dropout_mlp": ("""def build_mlp(d_in, n_classes):
    return torch.nn.Sequential(
        torch.nn.Linear(d_in, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, n_classes),
    )""", """class AlwaysDropout(torch.nn.Module):
    def forward(self, x):
        return torch.nn.functional.dropout(x, 0.5, training=True)  # BUG: random even in eval mode, and no non-linearity


def build_mlp(d_in, n_classes):
    return torch.nn.Sequential(torch.nn.Linear(d_in, 128), AlwaysDropout(), torch.nn.Linear(128, n_classes))"""),
    "softmax_output_mlp": ("        torch.nn.Linear(128, n_classes),\n    )",
                           "        torch.nn.Linear(128, n_classes),\n        torch.nn.Softmax(dim=1),  # BUG: probabilities, not logits\n    )"),
    "diverges": ("LEARNING_RATE = 0.01\n", "LEARNING_RATE = 1e6  # BUG: far too large: the weights become NaN\n"),
}

# Correct answers written the way real students write them: each must get full marks on what it does.
CORRECT = {
    "batchnorm_mlp": ("""def build_mlp(d_in, n_classes):
    return torch.nn.Sequential(
        torch.nn.Linear(d_in, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, n_classes),
    )""", """def build_mlp(d_in, n_classes):
    return torch.nn.Sequential(
        torch.nn.Linear(d_in, 128),
        torch.nn.BatchNorm1d(128),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.2),
        torch.nn.Linear(128, n_classes),
    )"""),
}


def main() -> None:
    for prefix, table, what in (("bug", BUGS, "One-bug"), ("correct", CORRECT, "Correct")):
        for name, (old, new) in table.items():
            if REF.count(old) != 1:
                raise SystemExit(f"{name}: the text to replace occurs {REF.count(old)} times in packs/nlp100_ch08/solution.py")
            body = REF.replace(old, new)
            head = f'"""{what} training submission `{name}`: made by make_bugs.py from packs/nlp100_ch08/solution.py."""\n'
            (HERE / f"{prefix}_{name}.py").write_text(head + body, encoding="utf-8")


if __name__ == "__main__":
    main()
