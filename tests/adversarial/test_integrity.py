"""Issue 7: grades that cannot be forged. Each attack in integrity/ carries its expected verdict in its header
(tests/corpus.py's format, validated there):

    # --- expect
    # exercises = ["76"]          the exercises graded
    # verdict = "graded"          the grading ends with exit status 1
    # zero = ["resume"]           items the attack must not win (score 0)
    # passing = ["checkpoints"]   items the rest of the (honest) code still passes
    # not_passing = [...]         items that must not pass (e.g. skipped on a machine without a GPU)
    # why = "..."
    # ---

Graded with the local backend, and with the docker backend when an engine answers (required in CI). The attack
that rebuilds the public test labels is made here from the public generator's source: it wins on the public data
(a practice grade, as the report says) and loses on data made from a secret.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from corpus import cases, expect

ROOT = Path(__file__).resolve().parents[2]
CASES = cases(Path(__file__).parent / "integrity")
GENERATOR = ROOT / "packs" / "nlp100_ch08" / "data" / "default.py"

pytestmark = [pytest.mark.slow]


def rebuild_labels_attack() -> str:
    """build_mlp that looks its inputs up in the data the public generator rebuilds: no training at all."""
    gen = GENERATOR.read_text(encoding="utf-8")
    gen = gen.replace(
        "from . import CLASSES, Dataset", "CLASSES = ['b', 'e', 't', 'm']\n\n\ndef Dataset(**kw):\n    return kw"
    )
    gen = (
        gen.split("def secret_seed(")[0]
        + "def make_default(seed=SEED):"
        + gen.split("def make_default(seed: int = SEED) -> Dataset:")[1]
    )
    attack = """

# ---- the attack: nearest neighbour in the rebuilt public data, labels included -------------------------
class Lookup(torch.nn.Module):
    def __init__(self, d_in, n_classes):
        super().__init__()
        self.a = torch.nn.Linear(d_in, 8)          # two weight matrices, never trained
        self.b = torch.nn.Linear(8, n_classes)
        ds = make_default()
        self.register_buffer("keys", torch.cat([ds["X_train"], ds["X_valid"], ds["X_test"]]))
        self.register_buffer("labels", torch.cat([ds["y_train"], ds["y_valid"], ds["y_test"]]))

    def forward(self, x):
        lab = self.labels[torch.cdist(x.float(), self.keys).argmin(1)]
        return torch.nn.functional.one_hot(lab, 4).float() * 10.0 + 0.0 * self.b(torch.relu(self.a(x)))


def build_mlp(d_in, n_classes):
    return Lookup(d_in, n_classes)


def train(model, X_train, y_train, X_valid, y_valid, *, epochs, batch_size, device, checkpoint_dir=None, resume_from=None):
    return [{"epoch": k, "train_loss": 0.1, "train_acc": 0.99, "valid_loss": 0.1, "valid_acc": 0.99} for k in range(1, epochs + 1)]
"""
    return gen + attack


def grade(path: Path, exercises: list[str], *extra: str) -> tuple[int, dict, str]:
    cmd = [sys.executable, "-m", "checker.cli", "submit", str(path), "--format", "json", "--max-examples", "5", *extra]
    for e in exercises:
        cmd += ["--exercise", e]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=ROOT, env={**os.environ, "NO_COLOR": "1"})
    try:
        return p.returncode, json.loads(p.stdout), p.stderr
    except ValueError:
        return p.returncode, {}, p.stderr + p.stdout


def _backends() -> list[str]:
    from checker.sandbox.docker.engine import available

    if os.environ.get("NLP100_REQUIRE_DOCKER") == "1" or available():
        return ["local", "docker"]
    return ["local"]


BACKENDS = _backends()


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("integrity")
    secret = tmp / "data-secret"
    secret.write_bytes(secrets.token_bytes(32))
    labels = tmp / "rebuild_labels.py"
    labels.write_text(rebuild_labels_attack(), encoding="utf-8")
    jobs = {}
    for backend in BACKENDS:
        for case in CASES:
            jobs[(case.name, backend)] = (case, expect(case)["exercises"], ("--backend", backend))
        jobs[("rebuild_labels/public", backend)] = (labels, ["79"], ("--backend", backend))
        jobs[("rebuild_labels/secret", backend)] = (
            labels,
            ["79"],
            ("--backend", backend, "--data-secret", str(secret)),
        )
    with ThreadPoolExecutor(max_workers=2) as pool:
        futs = {k: pool.submit(grade, p, ex, *extra) for k, (p, ex, extra) in jobs.items()}
        return {k: f.result() for k, f in futs.items()}


def _items(report: dict) -> dict:
    return {i["name"]: i for e in report.get("exercises", []) for i in e["items"]}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_the_attack_scores_nothing(results, case, backend):
    rc, report, err = results[(case.name, backend)]
    want = expect(case)
    assert rc == {"graded": 1}[want["verdict"]], err[-3000:]
    assert "Traceback" not in err
    items = _items(report)
    for name in want.get("zero", []):
        assert items[name]["score"] == 0 and items[name]["status"] != "passed", (name, items[name]["message"])
        assert not items[name]["internal"], items[name]
    for name in want.get("not_passing", []):
        assert items[name]["status"] != "passed", (name, items[name]["message"])
    for name in want.get("passing", []):
        assert items[name]["status"] == "passed", (name, items[name]["message"], items[name]["details"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_rebuilt_public_labels_win_only_a_practice_grade(results, backend):
    rc, public, err = results[("rebuild_labels/public", backend)]
    assert _items(public)["mlp_accuracy"]["status"] == "passed", err[-2000:]  # the public data can be rebuilt ...
    assert any("practice" in n for n in public["notes"])  # ... and the report says what it is worth
    rc, secret, err = results[("rebuild_labels/secret", backend)]
    item = _items(secret)["mlp_accuracy"]
    assert item["status"] == "failed" and item["data"]["test_accuracy"] < 0.6, (item, err[-2000:])
    assert "secret" in secret["data"]["version"] and not any("practice" in n for n in secret["notes"])
