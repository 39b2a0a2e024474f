"""Chapter 8 of the NLP 100 exercises (tasks 70–79) as an exercise pack for nlp100-checker.

Light on purpose: importing this module imports neither torch nor the checks;
the engine loads the modules named here when it grades.
"""

from checker.spec.packs import Pack

PACK = Pack(
    name="nlp100_ch08",
    package="nlp100_ch08",
    description="NLP 100 exercises, chapter 8: neural networks (tasks 70–79)",
    exercises="exercises",
    modules=("spaces", "hints", "checks.functional", "checks.training"),
    messages="messages",
    solution="solution.py",
    data="data:load_for_grading",
    data_names=("default", "news"),
    commands="commands:add_commands",
    after_validate="validation:after_validate",
    params="params",
)
