"""Trusted reference solutions. Imported only by the grader, never inside the sandbox."""
