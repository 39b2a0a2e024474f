"""NLP-100 chapter 8, exercise 75: plotting loss and accuracy.

New in this exercise: `plot_history`, and the losses in the records that
`train` returns. Append this to your file of exercises 73-74 (`build_model`,
`train` and `accuracy` are not repeated here).
Grade with `check submit FILE`. Only the standard library, torch, numpy and
matplotlib may be imported.
"""


def plot_history(history: list[dict], path: str) -> None:
    """Plot the training curves and save them as a PNG file.

    Args:
        history: records as `train` returns them, one per epoch:
            {"epoch": k, "train_loss": float, "train_acc": float,
             "valid_loss": float, "valid_acc": float}
        path: where to write the PNG image.

    Draw loss (train, valid) and accuracy (train, valid) against the epoch
    from `history` -- the checker calls this with records it makes up --,
    save with fig.savefig(path), close the figure (plt.close(fig)) and return
    None; no plt.show(). Import matplotlib.pyplot inside this function:
    imported at the top of the file it slows down every start of your code
    in the checker.
    """
    raise NotImplementedError


# What `train` (exercise 73) must add for 75 -- the losses of each record:
#   "train_loss": the mean cross-entropy on X_train, y_train
#   "valid_loss": the mean cross-entropy on X_valid, y_valid
# measured like the accuracies of 74: at the end of the epoch, over the whole
# set, in eval mode. The mean of the batch losses seen during the epoch is not
# it (the weights were still changing). Every value a Python float.
