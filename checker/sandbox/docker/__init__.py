"""The docker backend: one fresh container per worker (see ``backend``)."""
