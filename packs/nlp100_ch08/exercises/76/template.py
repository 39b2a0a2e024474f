"""NLP-100 chapter 8, exercise 76: checkpoints.

New in this exercise: `train` writes a checkpoint after every epoch when
`checkpoint_dir` is given, and resumes from one when `resume_from` is given.
`train` is not repeated here: extend the one in your file of exercise 73 as
the comments below say. The two helpers are optional (you may write the same
lines inside `train`); the checker never calls them.
Grade with `check submit FILE`. Only the standard library, torch, numpy and
matplotlib may be imported.
"""
import os

import torch


def save_checkpoint(path: str, epoch: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
    """Write the checkpoint of the end of epoch `epoch` to `path`.

    The file holds a dict with exactly what resuming needs:
        {"epoch": epoch, "model": model.state_dict(),
         "optimizer": optimizer.state_dict()}
    written with torch.save. Only tensors, numbers and strings inside, so
    that torch.load(path) with weights_only=True reads it.
    """
    raise NotImplementedError


def load_checkpoint(path: str, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> int:
    """Restore `model` and `optimizer` from the checkpoint at `path`; return its epoch.

    torch.load(path, map_location=<the model's device>), then
    model.load_state_dict(...) and optimizer.load_state_dict(...): the
    optimizer state (learning rate, momentum buffers) comes from the file.
    The optimizer must exist already (created after model.to(device)).
    """
    raise NotImplementedError


# What to add to `train` (exercise 73) for 76:
#   - create the optimizer after model.to(device);
#   - start = load_checkpoint(resume_from, model, optimizer) if resume_from
#     is not None, else 0; train epochs start+1 .. epochs and return the
#     records of those epochs only;
#   - at the end of each epoch k (after measuring its record), when
#     checkpoint_dir is not None:
#         save_checkpoint(os.path.join(checkpoint_dir, f"epoch_{k}.pt"), k, model, optimizer)
#   - resuming happens in a new process and must continue the interrupted
#     run exactly: nothing may come from a global variable or from an earlier
#     call, and each epoch's shuffling should depend on its epoch number only,
#     e.g. torch.randperm(n, generator=torch.Generator().manual_seed(k)).
