"""The embedded default dataset: a deterministic stand-in for the chapter-8 features.

What it imitates: the mean word2vec (GoogleNews) vectors of news headlines
-- 300 dimensions, per-dimension spread about 0.08 (values mostly within
±0.2), row norms about 1.4, a shared offset, correlated noise -- in the four
ch.6 categories with the ch.6 balance (b 42 %, e 40 %, t 11 %, m 7 %), split
80/10/10 (3,200 / 400 / 400 rows, the balance exact in every split).  The
scale matters beyond looks: learning rates students tuned on the real
features behave alike here.

How it is shaped for the exercises:

- Most rows (the "linear" part) are a class mean plus noise: a single-layer
  network separates them well but not perfectly.
- A quarter of each class (the "interaction" part) carries only a weak class
  mean; its label is written instead as two XOR patterns, each in a plane
  spanned by two hidden directions: label bit 1 is sign(p1 * q1), bit 2 is
  sign(p2 * q2).  Their class-conditional means are zero, so a linear model
  cannot use them; one hidden layer with a non-linearity can.

Calibration (``benchmarks/data_calibration.py``, training seeds 0-2; test
accuracy, linear = ``nn.Linear(300, 4)``, MLP = 300→64→ReLU→4):

- SGD, batch 32, lr 1.0, 15 epochs: linear 0.873, MLP 0.943;
- SGD, batch 1, lr 0.1, 8 epochs (what exercises 73/79 run): linear 0.883,
  MLP 0.945.

A learning rate well off these (batch 1 with lr ≤ 0.01, or lr 0.1 with
momentum 0.9, which diverges the MLP) trains visibly worse in 8 epochs,
as it would on real features of this scale.

Byte-identical on every machine: the only randomness is the raw 64-bit
output of numpy's PCG64 bit generator (a fixed, documented stream), turned
into numbers with exact integer operations and IEEE 754 correctly rounded
arithmetic (``+``, ``*``, one ``sqrt`` of a constant), applied element by
element in a fixed order -- no library samplers, no BLAS, no reductions --
and rounded once to float32 at the end.  Changing anything here changes
the data: bump ``VERSION`` then.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import torch

from . import CLASSES, Dataset

VERSION = "2"  # 1: the first draft, features twice this scale
SEED = 20240708

D = 300
SPLIT_SIZES = {"train": 3200, "valid": 400, "test": 400}
SHARES = (0.42, 0.40, 0.11, 0.07)  # b, e, t, m: the ch.6 balance
INTERACTION_SHARE = 0.25  # of every class, the rows labelled by the XOR patterns

# geometry (per-dimension scales; calibrated, see the module docstring)
OFFSET_SCALE = 0.02  # the offset all rows share (frequent words pull every mean the same way)
MEAN_SCALE = 0.010  # class means
NOISE_SCALE = 0.05  # isotropic noise
LOWRANK = 8  # correlated noise: this many random directions ...
LOWRANK_SCALE = 0.02  # ... of this per-dimension scale
WEAK_MEAN = 0.35  # the interaction rows keep this fraction of their class mean
PLANE_DIMS = 25  # each hidden direction spreads over this many dimensions (disjoint supports)
PLANE_AMPLITUDE = 0.275  # |p|, |q| along the hidden directions
PLANE_JITTER = 0.06
# label -> (bit 1, bit 2) of the XOR patterns, as signs
CODES = {0: (1.0, 1.0), 1: (-1.0, -1.0), 2: (1.0, -1.0), 3: (-1.0, 1.0)}

_SQRT3 = math.sqrt(3.0)  # correctly rounded everywhere


class _Stream:
    """Numbers from PCG64's raw output, by exact arithmetic only."""

    def __init__(self, seed: int):
        self._bits = np.random.PCG64(seed)

    def raw(self, n: int) -> np.ndarray:
        return np.asarray(self._bits.random_raw(n), dtype=np.uint64)

    def uniform(self, shape) -> np.ndarray:
        """[0, 1), 53 bits: the top bits of each draw times 2**-53 (exact)."""
        n = int(np.prod(shape))
        return ((self.raw(n) >> np.uint64(11)).astype(np.float64) * (2.0**-53)).reshape(shape)

    def normal(self, shape) -> np.ndarray:
        """Approximately N(0, 1): the Irwin-Hall sum of four uniforms, centred and
        scaled (bounded at about ±3.5; the shape is irrelevant here, exactness is not)."""
        s = self.uniform(shape)
        s = s + self.uniform(shape)
        s = s + self.uniform(shape)
        s = s + self.uniform(shape)
        return (s - 2.0) * _SQRT3

    def sign(self, shape) -> np.ndarray:
        return np.where((self.raw(int(np.prod(shape))) >> np.uint64(63)) == 1, 1.0, -1.0).reshape(shape)

    def permutation(self, n: int) -> np.ndarray:
        return np.argsort(self.raw(n), kind="stable")


def class_counts(n: int, shares=SHARES) -> list[int]:
    """Largest-remainder rounding of ``n * shares`` (ties to the earlier class)."""
    exact = [n * s for s in shares]
    counts = [math.floor(e) for e in exact]
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _split(st: _Stream, n: int, geom: dict) -> tuple[np.ndarray, np.ndarray]:
    counts = class_counts(n)
    labels = np.concatenate([np.full(c, k, dtype=np.int64) for k, c in enumerate(counts)])
    inter = np.concatenate([np.arange(c) < round(INTERACTION_SHARE * c) for c in counts])

    z = st.normal((n, D))
    X = geom["offset"][None, :] + NOISE_SCALE * z
    w = st.normal((n, LOWRANK))
    for k in range(LOWRANK):
        X = X + w[:, k : k + 1] * geom["lowrank"][k][None, :]

    strength = np.where(inter, WEAK_MEAN, 1.0)  # interaction rows keep a weak class mean only
    X = X + strength[:, None] * geom["means"][labels]

    # the XOR patterns, interaction rows only
    s = st.sign((n, 2))
    jit = st.normal((n, 4))
    for j in range(2):  # plane j: directions u_j, v_j
        bit = np.array([CODES[int(c)][j] for c in range(len(CLASSES))])[labels]
        p = s[:, j] * (PLANE_AMPLITUDE + PLANE_JITTER * jit[:, 2 * j])
        q = s[:, j] * bit * (PLANE_AMPLITUDE + PLANE_JITTER * jit[:, 2 * j + 1])
        p = np.where(inter, p, 0.0)
        q = np.where(inter, q, 0.0)
        X = X + p[:, None] * geom["planes"][2 * j][None, :]
        X = X + q[:, None] * geom["planes"][2 * j + 1][None, :]

    order = st.permutation(n)
    return X[order].astype(np.float32), labels[order]


def _geometry(st: _Stream) -> dict:
    offset = OFFSET_SCALE * st.normal((D,))
    means = MEAN_SCALE * st.normal((len(CLASSES), D))
    lowrank = LOWRANK_SCALE * st.normal((LOWRANK, D))
    dims = st.permutation(D)[: 4 * PLANE_DIMS].reshape(4, PLANE_DIMS)
    signs = st.sign((4, PLANE_DIMS))
    planes = np.zeros((4, D))
    unit = 1.0 / math.sqrt(PLANE_DIMS)
    for k in range(4):
        planes[k, dims[k]] = signs[k] * unit
    return {"offset": offset, "means": means, "lowrank": lowrank, "planes": planes}


def secret_seed(secret: bytes) -> int:
    """The generator's seed from an instructor's secret: the public code cannot rebuild the data without it."""
    return int.from_bytes(hashlib.sha256(b"nlp100-ch08 default data\0" + secret).digest()[:8], "big")


def make_secret(secret: bytes) -> Dataset:
    """The default dataset generated and split from a secret (authoritative grading); its version names only a short
    hash of the secret, never the secret or the seed."""
    ds = make_default(secret_seed(secret))
    ds.version = f"{VERSION}-secret-{hashlib.sha256(secret).hexdigest()[:8]}"
    ds.meta = {"generator": "nlp100_ch08.data.default", "secret": True}
    return ds


def make_default(seed: int = SEED) -> Dataset:
    """The default dataset; the same bytes for the same ``seed`` on every machine."""
    st = _Stream(seed)
    geom = _geometry(st)
    parts = {}
    for name, n in SPLIT_SIZES.items():
        X, y = _split(st, n, geom)
        parts[f"X_{name}"] = torch.from_numpy(X)
        parts[f"y_{name}"] = torch.from_numpy(y)
    version = VERSION if seed == SEED else f"{VERSION}-seed{seed}"
    return Dataset(
        name="default",
        version=version,
        classes=list(CLASSES),
        meta={"generator": "nlp100_ch08.data.default", "seed": seed},
        **parts,
    )
