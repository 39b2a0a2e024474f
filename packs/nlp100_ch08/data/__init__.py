"""Datasets for the training exercises (73–79).

Two sources:

- ``"default"``: a small synthetic stand-in for the chapter-8 features,
  generated from a fixed seed on the spot (:mod:`nlp100_ch08.data.default`);
  identical bytes on every machine, no files, no downloads.
- ``"news"``: real features (mean word vectors of the News Aggregator
  headlines of chapter 6), built once by ``check data build`` into the
  user's cache (:mod:`nlp100_ch08.data.news`, needs gensim).

A path loads a dataset file written by :func:`save_dataset` (what
``check data build`` writes).

Dataset files are ``torch.save`` of a dict of plain tensors, strings and
ints, read back with ``torch.load(..., weights_only=True)``: loading one
never runs code from the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from checker.errors import DatasetError as _CheckerDatasetError

__all__ = ["CLASSES", "Dataset", "DatasetError", "cache_dir", "load_dataset", "save_dataset", "load_dataset_file"]

#: label index -> ch.6 category: business, entertainment, science/technology, health
CLASSES = ["b", "e", "t", "m"]

FORMAT = "nlp100-checker-dataset"
FORMAT_VERSION = 1
_SPLITS = ("train", "valid", "test")
_TENSORS = ("X_train", "y_train", "X_valid", "y_valid", "X_test", "y_test")


class DatasetError(_CheckerDatasetError):
    """A dataset cannot be found or read; the message says what to do (the CLI exits 2)."""


@dataclass
class Dataset:
    name: str
    version: str
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_valid: torch.Tensor
    y_valid: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    classes: list[str] = field(default_factory=lambda: list(CLASSES))
    meta: dict = field(default_factory=dict)  # free-form provenance (build summary, sources); not in the checksum

    def __post_init__(self) -> None:
        for split in _SPLITS:
            X, y = getattr(self, f"X_{split}"), getattr(self, f"y_{split}")
            if not (isinstance(X, torch.Tensor) and X.dtype == torch.float32 and X.dim() == 2):
                raise DatasetError(
                    f"X_{split} must be a float32 matrix, got {getattr(X, 'dtype', type(X))} "
                    f"{tuple(getattr(X, 'shape', ()))}"
                )
            if not (isinstance(y, torch.Tensor) and y.dtype == torch.int64 and y.shape == (X.shape[0],)):
                raise DatasetError(
                    f"y_{split} must be int64 of shape ({X.shape[0]},), got "
                    f"{getattr(y, 'dtype', type(y))} {tuple(getattr(y, 'shape', ()))}"
                )
            if X.shape[1] != self.X_train.shape[1]:
                raise DatasetError(f"X_{split} has {X.shape[1]} columns, X_train {self.X_train.shape[1]}")
            if y.numel() and (int(y.min()) < 0 or int(y.max()) >= len(self.classes)):
                raise DatasetError(f"y_{split} has labels outside 0..{len(self.classes) - 1}")

    @property
    def d(self) -> int:
        return int(self.X_train.shape[1])

    def sizes(self) -> dict[str, int]:
        return {s: int(getattr(self, f"y_{s}").shape[0]) for s in _SPLITS}

    def checksum(self) -> str:
        """sha256 over name, version, classes and every tensor's dtype, shape and
        little-endian bytes: the same on every machine for the same data."""
        h = hashlib.sha256()
        h.update(
            json.dumps(
                {"name": self.name, "version": self.version, "classes": list(self.classes)}, sort_keys=True
            ).encode()
        )
        for key in _TENSORS:
            t = getattr(self, key).detach().cpu().contiguous()
            a = t.numpy()
            a = a.astype(a.dtype.newbyteorder("<"), copy=False)
            h.update(f"|{key}:{a.dtype.str}:{list(a.shape)}|".encode())
            h.update(a.tobytes())
        return h.hexdigest()

    public: bool = False  # the public seed: a practice grade (a submission can rebuild it)

    def describe(self) -> dict:
        out = {
            "name": self.name,
            "version": self.version,
            "checksum": self.checksum(),
            "sizes": self.sizes(),
            "d": self.d,
            "classes": list(self.classes),
        }
        if self.public:
            out["notes"] = ["public_data_note"]
        return out


# -- files -----------------------------------------------------------------------------


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """Where built datasets live: the argument, else ``$NLP100_CACHE``, else
    ``$XDG_CACHE_HOME/nlp100-checker``, else ``~/.cache/nlp100-checker``."""
    if override:
        return Path(override).expanduser()
    if os.environ.get("NLP100_CACHE"):
        return Path(os.environ["NLP100_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "nlp100-checker"


def save_dataset(ds: Dataset, path: str | os.PathLike) -> Path:
    """Write ``ds`` to ``path`` atomically (a temporary file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    blob = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": ds.name,
        "version": ds.version,
        "classes": list(ds.classes),
        "checksum": ds.checksum(),
        "meta_json": json.dumps(ds.meta, sort_keys=True, ensure_ascii=False),
    }
    for key in _TENSORS:
        blob[key] = getattr(ds, key).detach().cpu().contiguous().clone()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        torch.save(blob, tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def load_dataset_file(path: str | os.PathLike) -> Dataset:
    path = Path(path).expanduser()
    if not path.is_file():
        raise DatasetError(f"no dataset file at {path}")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unreadable file is the same user error
        raise DatasetError(
            f"{path} is not a dataset file written by `check data build` ({type(e).__name__}: {e})"
        ) from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise DatasetError(f"{path} is not a dataset file written by `check data build`")
    if blob.get("format_version") != FORMAT_VERSION:
        raise DatasetError(
            f"{path} has dataset format {blob.get('format_version')}, this checker reads "
            f"{FORMAT_VERSION}: rebuild it with `check data build`"
        )
    try:
        meta = json.loads(blob.get("meta_json") or "{}")
        ds = Dataset(
            name=str(blob["name"]),
            version=str(blob["version"]),
            classes=list(blob["classes"]),
            meta=meta,
            **{k: blob[k] for k in _TENSORS},
        )
    except (KeyError, TypeError, ValueError) as e:
        raise DatasetError(f"{path} is damaged ({type(e).__name__}: {e}): rebuild it with `check data build`") from None
    if blob.get("checksum") and blob["checksum"] != ds.checksum():
        raise DatasetError(f"{path} is damaged (checksum mismatch): rebuild it with `check data build`")
    return ds


def load_dataset(name: str | os.PathLike = "default") -> Dataset:
    """``"default"``: the embedded synthetic data; ``"news"``: the latest
    ``check data build`` in the cache; anything else: a dataset file path."""
    if isinstance(name, str) and name == "default":
        from .default import make_default

        return make_default()
    if isinstance(name, str) and name == "news":
        from .news import load_news

        return load_news()
    p = Path(name).expanduser()
    if p.is_dir():
        from .news import latest_build

        found = latest_build(p)
        if found is None:
            raise DatasetError(
                f"no dataset built in {p}: run `check data build --news PATH --vectors PATH --cache {p}`"
            )
        p = found
    if not p.exists():
        raise DatasetError(
            f"unknown dataset {str(name)!r}: use 'default', 'news' (after `check data build`), "
            f"or the path of a dataset file"
        )
    return load_dataset_file(p)


def load_for_grading(name: str, options=None) -> Dataset:
    """The pack's data loader for the engine (``--data NAME``).

    The default data comes from the instructor's secret when there is one (``Options.data_secret``: authoritative
    grading), else from the public seed; a report on public data says it is a practice grade."""
    secret = getattr(options, "data_secret", None)
    if isinstance(name, str) and name == "default" and secret:
        from .default import make_secret

        return make_secret(secret)
    ds = load_dataset(name)
    if isinstance(name, str) and name == "default":
        ds.public = True
    return ds
