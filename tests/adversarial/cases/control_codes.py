# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# renders = ["text", "github"]
# render_contains = ['\x1b[2K']
# render_escaped_only = ["total: 18/18"]
# why = "softmax prints terminal escapes and raises an exception whose message holds control codes, a bidi override and a lone surrogate: every report format stays intact"
# ---
"""Terminal control codes, a carriage return that overwrites the line, a bidi override, a lone surrogate.

The report rendered from the result (``check render --format text|github``) shows them as visible escapes
and never emits them: no fake "total: 18/18" line on the instructor's terminal or in a CI log.
"""
import torch


def softmax(x, dim=-1):
    print("nlp100-adv: attack ran", flush=True)
    print("\x1b[2J\x1b[Hall checks passed\r")
    raise ValueError("\r\x1b[2K\x1b[32mtotal: 18/18\x1b[0m \u202e \ud800")


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
