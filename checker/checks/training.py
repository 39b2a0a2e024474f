"""Checks of the training exercises (73–79)."""
