"""Exercise specs: models (validated when they load), packs, discovery.

The facade other layers import: ``discover``, ``load_exercise``, ``Exercise``, ``Item``, ``Pack``.
"""

from .discovery import discover, exercise_roots, hidden_dir, load_exercise
from .models import Exercise, ExerciseLimits, HiddenItems, Item, Text
from .packs import Pack, installed

__all__ = [
    "discover",
    "exercise_roots",
    "hidden_dir",
    "load_exercise",
    "Exercise",
    "ExerciseLimits",
    "HiddenItems",
    "Item",
    "Text",
    "Pack",
    "installed",
]
