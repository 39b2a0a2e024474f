"""Regenerate the one-bug training submissions from packs/nlp100_ch08/solution.py.

    .venv/bin/python tests/training_submissions/make_bugs.py

Each bug is one textual replacement in the reference; the script fails if a
replacement no longer matches, so the corpus cannot silently drift.  Each file
begins with its expectations (tests/corpus.py's header: the exercises graded,
the items that must not pass, those that must pass, a text the failing items'
feedback must hold, and what the bug is), written from the E(...) of its entry;
tests/test_e2e_training.py grades every file against its header and checks that
this script still writes exactly the files on disk.
"""
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REF = (HERE.parent.parent / "packs" / "nlp100_ch08" / "solution.py").read_text(encoding="utf-8")
sys.path.insert(0, str(HERE.parent))
from corpus import header  # noqa: E402  (tests/corpus.py)


@dataclass
class E:
    """What the checker must say about a file: exercises graded, items that must not pass, items that must pass,
    a text the failing items' message or details must contain, and (default: the replacement's "# BUG:" comment)
    what is wrong."""

    exercises: list
    failing: list = field(default_factory=list)
    passing: list = field(default_factory=list)
    hint: str | None = None
    why: str | None = None


BUGS = {
    "no_step": ("            optimizer.step()\n", "            pass  # BUG: optimizer.step() is never called\n",
        E(["73"], failing=["loss_decreases", "accuracy_threshold"], passing=["build_model"], hint="optimizer.step()")),
    "valid_on_train": ("        valid_loss, valid_acc = _evaluate(model, X_valid, y_valid, device)",
                       "        valid_loss, valid_acc = _evaluate(model, X_train, y_train, device)  # BUG: valid metrics on the training set",
        E(["74", "75"], failing=["history_accuracy", "history"], passing=["accuracy_function", "plot_history"], hint="training data")),
    "epochs_from_0": ('                "epoch": epoch,\n', '                "epoch": epoch - 1,  # BUG: epochs counted from 0\n',
        E(["75"], failing=["history"], passing=["plot_history"], hint="counted from 1")),
    "ignores_batch_size": ("        for i in range(0, n, batch_size):\n            idx = order[i : i + batch_size]",
                           "        for i in range(0, n, 1):  # BUG: batch_size ignored\n            idx = order[i : i + 1]",
        E(["77"], failing=["batch_timing"], passing=[], hint="batch_size")),
    "ignores_device": ("    model.to(device)\n", "    device = \"cpu\"  # BUG: the device argument is ignored\n    model.to(device)\n",
        E(["78"], failing=[], passing=[], why="the device argument is ignored: only a host with CUDA can tell; without one "
                                              "78's items are skipped (test_device_item_is_skipped_without_cuda)")),
    "ckpt_no_optimizer": ('                {"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict()},',
                          '                {"epoch": epoch, "model": model.state_dict()},  # BUG: no optimizer state',
        E(["76"], failing=["checkpoints", "resume"], passing=[])),
    "resume_drops_optimizer": ('        optimizer.load_state_dict(state["optimizer"])\n', '        # BUG: the optimizer state is not restored\n',
        E(["76"], failing=["resume"], passing=["checkpoints"], hint="load_state_dict")),
    "ckpt_wrong_names": ('os.path.join(checkpoint_dir, f"epoch_{epoch}.pt")', 'os.path.join(checkpoint_dir, f"checkpoint{epoch:03d}.pth")',
        E(["76"], failing=["checkpoints", "resume"], passing=[], why="checkpoints named checkpointNNN.pth, not epoch_N.pt")),
    "accuracy_percent": ("    return (pred == y.to(device)).float().mean().item()",
                         "    return 100.0 * (pred == y.to(device)).float().mean().item()  # BUG: percent",
        E(["74"], failing=["accuracy_function"], passing=["history_accuracy"], hint="percentage")),
    "double_softmax": ("    return torch.nn.Linear(d_in, n_classes, bias=False)",
                       "    # BUG: a Softmax layer before CrossEntropyLoss (which applies log-softmax itself)\n"
                       "    return torch.nn.Sequential(torch.nn.Linear(d_in, n_classes, bias=False), torch.nn.Softmax(dim=1))",
        E(["73"], failing=["build_model", "loss_decreases"], passing=[], hint="softmax")),
    "no_zero_grad": ("            optimizer.zero_grad()\n", "            # BUG: optimizer.zero_grad() missing: gradients accumulate\n",
        E(["73"], failing=["loss_decreases"], passing=[])),
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
    return MLP(d_in, n_classes)""",
        E(["79"], failing=["mlp_structure", "mlp_accuracy"], passing=[], hint="ModuleList")),
    "mlp_no_nonlinearity": ("        torch.nn.ReLU(),\n", "        # BUG: no non-linearity between the layers\n",
        E(["79"], failing=["mlp_structure"], passing=[], hint="non-linearity")),
    "plot_writes_nothing": ("    fig.savefig(path)\n", "    # BUG: the figure is never saved\n",
        E(["75"], failing=["plot_history"], passing=["history"])),
    "plot_drops_valid_acc": ("    ax2.plot(epochs, [r[\"valid_acc\"] for r in history], label=\"valid\")\n",
                             "    # BUG: the valid accuracy curve is not drawn\n",
        E(["75"], failing=["plot_history"], passing=["history"], hint="valid_acc")),
    # -- issue 7: honest answers the checker must not misjudge, and wrong ones it used to pass --------------
    "wrong_history_valid_loss": ("        valid_loss, valid_acc = _evaluate(model, X_valid, y_valid, device)",
                                 "        valid_loss, valid_acc = _evaluate(model, X_valid, y_valid, device)\n"
                                 "        valid_loss = valid_loss * 1.5  # BUG: only the history's valid_loss is wrong",
        E(["74", "75", "76"], failing=["history"], passing=["history_accuracy", "plot_history", "checkpoints", "resume"])),
    "two_layer_build_model": ("    return torch.nn.Linear(d_in, n_classes, bias=False)",
                              "    # BUG: two layers, not the single-layer network of task 71\n"
                              "    return torch.nn.Sequential(torch.nn.Linear(d_in, 16), torch.nn.Linear(16, n_classes))",
        E(["73"], failing=["build_model", "loss_decreases", "accuracy_threshold"], passing=[], hint="single-layer")),
    "affine_dropout_mlp": ("""def build_mlp(d_in, n_classes):
    return torch.nn.Sequential(
        torch.nn.Linear(d_in, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, n_classes),
    )""", """class AlwaysDropout(torch.nn.Module):
    def forward(self, x):
        return torch.nn.functional.dropout(x, 0.5, training=True)  # BUG: random even in eval mode, and no non-linearity


def build_mlp(d_in, n_classes):
    return torch.nn.Sequential(torch.nn.Linear(d_in, 128), AlwaysDropout(), torch.nn.Linear(128, n_classes))""",
        E(["79"], failing=["mlp_structure"], passing=[], hint="eval mode")),
    "softmax_output_mlp": ("        torch.nn.Linear(128, n_classes),\n    )",
                           "        torch.nn.Linear(128, n_classes),\n        torch.nn.Softmax(dim=1),  # BUG: probabilities, not logits\n    )",
        E(["79"], failing=["mlp_structure"], passing=[], hint="logits")),
    "diverges": ("LEARNING_RATE = 0.01\n", "LEARNING_RATE = 1e6  # BUG: far too large: the weights become NaN\n",
        E(["73", "79"], failing=["loss_decreases", "accuracy_threshold", "mlp_accuracy"], passing=["build_model"], hint="not finite")),
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
    )""",
        E(["79"], failing=[], passing=["mlp_structure", "mlp_accuracy"],
          why="a correct MLP with BatchNorm1d and Dropout, written as students write it")),
}


def expectations(new: str, e: E) -> dict:
    why = e.why
    if why is None:
        m = re.search(r"# BUG: (.*)", new)
        why = m.group(1).strip() if m else None
    data = {"exercises": e.exercises, "failing": e.failing, "passing": e.passing}
    data.update({k: v for k, v in (("hint", e.hint), ("why", why)) if v})
    return data


def files() -> dict[str, str]:
    """Every file this script writes (name -> text)."""
    out = {}
    for prefix, table, what in (("bug", BUGS, "One-bug"), ("correct", CORRECT, "Correct")):
        for name, (old, new, e) in table.items():
            if REF.count(old) != 1:
                raise SystemExit(f"{name}: the text to replace occurs {REF.count(old)} times in packs/nlp100_ch08/solution.py")
            body = REF.replace(old, new)
            head = f'"""{what} training submission `{name}`: made by make_bugs.py from packs/nlp100_ch08/solution.py."""\n'
            out[f"{prefix}_{name}.py"] = header(expectations(new, e), "training_submissions") + head + body
    return out


def main(out: Path = HERE) -> None:
    for name, text in files().items():
        (out / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
