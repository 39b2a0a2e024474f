"""NLP-100 chapter 8, exercise 77: mini-batches.

Nothing new to define: exercise 77 grades how `train` (exercise 73) uses
`batch_size`. Extend your `train` as the comments below say.
Grade with `check submit FILE`. `check show 77` prints the numbers the
checker uses (time budget, the speed-up it expects).
"""

# What `train` must honour for 77:
#   - one epoch uses every training example exactly once: shuffle, cut into
#     batches of `batch_size` examples, one optimizer step per batch, so
#     ceil(n / batch_size) updates per epoch;
#   - the last, smaller batch is used too (not dropped); a batch_size larger
#     than n means a single update on all examples;
#   - the loss of a batch is the mean cross-entropy over that batch;
#   - the checker measures the CPU time of one epoch for batch sizes 1, 2, 4,
#     ... : no per-example Python work (.item(), printing) inside the loop
#     over batches, and the end-of-epoch measurement done once per epoch;
#   - records, checkpoints and resuming keep working as in 74-76.
