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
}


def main() -> None:
    for name, (old, new) in BUGS.items():
        if REF.count(old) != 1:
            raise SystemExit(f"{name}: the text to replace occurs {REF.count(old)} times in packs/nlp100_ch08/solution.py")
        body = REF.replace(old, new)
        head = f'"""One-bug training submission `{name}`: made by make_bugs.py from packs/nlp100_ch08/solution.py."""\n'
        (HERE / f"bug_{name}.py").write_text(head + body, encoding="utf-8")


if __name__ == "__main__":
    main()
