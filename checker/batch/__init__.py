"""Class batches: `check grade-batch` locally (run, procs, child) or on Dask (cluster); results and files."""
