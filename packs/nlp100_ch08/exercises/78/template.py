"""NLP-100 chapter 8, exercise 78: training on a GPU.

Nothing new to define: exercise 78 grades how `train` (exercise 73) uses
`device`. Extend your `train` as the comments below say. Without a CUDA
device on the grading machine, the items of 78 are skipped.
Grade with `check submit FILE`.
"""

# What `train` must honour for 78:
#   - `device` is "cpu" or "cuda": call model.to(device) first, then create
#     the optimizer; move the training data (once, or each batch) and the
#     validation data to `device` with .to(device);
#   - after `train` returns, the model stays on `device` (do not move it back);
#   - records hold Python floats (.item()), not tensors on the GPU;
#   - load checkpoints with torch.load(path, map_location=device);
#   - `accuracy` (74) works whatever device the model is on;
#   - device="cpu" keeps working as before.
