"""Loading a checkpoint the submission wrote, safely and within a budget.

``torch.load(..., weights_only=True)`` refuses to run code, but what it returns
can still cost far more memory than the file: a tensor ``expand``-ed to 10**8
elements is a 1.6 KB file whose first ``.contiguous()`` allocates 400 MB, a
deflate-compressed record inflates ~1000-fold, and views that overlap one
storage multiply it when each is copied.  ``load_checkpoint_bytes`` checks the
archive before loading it, checks every tensor before anything is copied, and
returns plain, compact, contiguous clones, so that what the grader holds after
the load is at most about the size of the file (and ``max_elements``).

Imports only the standard library and torch.
"""

from __future__ import annotations

import collections
import io
import re
import zipfile
from typing import Any

import torch

MAX_DEPTH = 32
MAX_ITEMS = 100_000
MAX_PICKLE_BYTES = 1 << 20  # data.pkl holds the structure only (the tensors' bytes are separate records)

_LEAVES = (type(None), bool, int, float, complex, str, bytes, torch.dtype, torch.device)
_TENSORS = (torch.Tensor, torch.nn.Parameter)


class CheckpointError(Exception):
    """A checkpoint the grader will not load; the message says why, in words for the student."""


def load_checkpoint_bytes(
    data: bytes,
    *,
    max_bytes: int,
    max_elements: int,
    max_items: int = MAX_ITEMS,
    max_depth: int = MAX_DEPTH,
    max_pickle_bytes: int = MAX_PICKLE_BYTES,
) -> object:
    """Load a checkpoint written by ``torch.save`` from ``data``, or raise ``CheckpointError``.

    Refused: more than ``max_bytes`` bytes; anything but torch's (uncompressed) zip
    format; whatever ``torch.load(weights_only=True)`` refuses; values nested deeper
    than ``max_depth`` or with more than ``max_items`` parts; a tensor that is not a
    plain dense strided CPU tensor, that is expanded (stride 0) or overlaps itself,
    that addresses bytes outside its storage, or that overlaps other tensors of the
    same storage so that copying them takes more than the storage holds; and more
    than ``max_elements`` tensor elements in all.  Accepted tensors come back as
    contiguous clones (plain ``torch.Tensor``, no grad); references to one and the
    same view come back as one clone.
    """
    n = len(data)
    if n > max_bytes:
        raise CheckpointError(f"the checkpoint is {n} bytes, more than the {max_bytes} allowed")
    _check_archive(data, max_pickle_bytes)
    try:
        obj = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except Exception as e:  # noqa: BLE001 - whatever a safe load raises is the file's problem
        raise CheckpointError(f"{type(e).__name__}: {_short(e)}") from None
    walk = _Walk(max_elements=max_elements, max_items=max_items, max_depth=max_depth)
    walk.scan(obj, 0, "checkpoint")
    walk.check_tensors()
    return walk.build(obj, 0)


def _short(e: BaseException, n: int = 200) -> str:
    """An exception's text on one line, without terminal escapes, cut to n characters.

    torch's weights-only refusal opens with advice for trusted files; the reason follows
    "WeightsUnpickler error:", so that part is kept.
    """
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", str(e))
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    cut = text.find("WeightsUnpickler error:")
    if cut >= 0:
        text = text[cut + len("WeightsUnpickler error:") :].strip()
    return text if len(text) <= n else text[: n - 1] + "…"


def _check_archive(data: bytes, max_pickle_bytes: int) -> None:
    """torch.save's format: a zip whose records are stored, not compressed, and add up to no more than the file."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except Exception as e:  # noqa: BLE001 - BadZipFile, but also struct/value errors on a mangled directory
        raise CheckpointError(
            "the checkpoint is not in the zip format torch.save writes "
            f"(was it written with torch.save? {type(e).__name__}: {_short(e, 120)})"
        ) from None
    total = 0
    for info in infos:
        if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
            raise CheckpointError(
                f"record {info.filename[:100]!r} of the checkpoint is compressed; torch.save never "
                "compresses, and a compressed record can expand to far more than the file"
            )
        if info.filename.endswith("data.pkl") and info.file_size > max_pickle_bytes:
            raise CheckpointError(
                f"the checkpoint's structure ({info.filename[:100]!r}) is {info.file_size} bytes, "
                f"more than the {max_pickle_bytes} allowed"
            )
        total += info.file_size
    if total > len(data):
        raise CheckpointError("the checkpoint's records claim more bytes than the file holds")


class _Walk:
    """Two passes over a loaded object: ``scan`` and ``check_tensors`` copy nothing; ``build`` makes the clones."""

    def __init__(self, *, max_elements: int, max_items: int, max_depth: int):
        self.max_elements = max_elements
        self.max_items = max_items
        self.max_depth = max_depth
        self.items = 0
        self.tensors: list[tuple[torch.Tensor, str]] = []
        self.clones: dict[tuple, torch.Tensor] = {}

    # -- pass 1 --------------------------------------------------------------------------
    def scan(self, v, depth: int, path: str) -> None:
        self.items += 1
        if self.items > self.max_items:
            raise CheckpointError(f"the checkpoint has more than {self.max_items} values in it")
        if depth > self.max_depth:
            raise CheckpointError(f"{path} is nested more than {self.max_depth} levels deep")
        t = type(v)
        if t in _TENSORS:
            self.tensors.append((v, path))
            return
        if isinstance(v, torch.Tensor):
            raise CheckpointError(f"{path} is a {t.__module__}.{t.__qualname__}, not a plain torch.Tensor")
        if t in _LEAVES or t is torch.Size:
            return
        if isinstance(v, dict) and t in (dict, collections.OrderedDict):
            for k, x in v.items():
                self.scan(k, depth + 1, f"{path} key")
                self.scan(x, depth + 1, f"{path}[{_key(k)}]")
            meta = getattr(v, "_metadata", None)  # what nn.Module.state_dict() attaches
            if meta is not None:
                self.scan(meta, depth + 1, f"{path}._metadata")
            return
        if t in (list, tuple, set, frozenset):
            for i, x in enumerate(v):
                self.scan(x, depth + 1, f"{path}[{i}]")
            return
        raise CheckpointError(
            f"{path} is an object of type {t.__module__}.{t.__qualname__}, which a checkpoint "
            "should not hold (only tensors, numbers, strings, lists, tuples and dicts)"
        )

    def check_tensors(self) -> None:
        views: dict[tuple, tuple[torch.Tensor, str]] = {}
        for t, path in self.tensors:
            self._check_one(t, path)
            views.setdefault(_view_key(t), (t, path))
        total = 0
        per_storage: dict[int, list] = {}
        for key, (t, path) in views.items():
            numel = t.numel()
            total += numel
            if numel:
                per_storage.setdefault(key[0], []).append((t, path))
        if total > self.max_elements:
            raise CheckpointError(
                f"the checkpoint's tensors hold {total} elements in all, more than the {self.max_elements} allowed"
            )
        for group in per_storage.values():
            if len(group) < 2:
                continue
            held = group[0][0].untyped_storage().nbytes()
            wanted = sum(t.numel() * t.element_size() for t, _ in group)
            if wanted > held:
                names = ", ".join(p for _, p in group[:3]) + (" …" if len(group) > 3 else "")
                raise CheckpointError(
                    f"{names} are overlapping views of one storage of {held} bytes; copying them "
                    f"takes {wanted} bytes. Save independent tensors (t.clone()) instead"
                )

    @staticmethod
    def _check_one(t: torch.Tensor, path: str) -> None:
        if t.layout != torch.strided or t.is_sparse or t.is_nested:
            raise CheckpointError(f"{path} is a tensor with layout {t.layout}, not a dense one")
        if t.is_quantized or t.is_meta or t.device.type != "cpu":
            kind = "quantized" if t.is_quantized else ("meta" if t.is_meta else t.device.type)
            raise CheckpointError(f"{path} is a {kind} tensor, not a plain CPU tensor")
        if t.is_conj() or t.is_neg():
            raise CheckpointError(f"{path} is a lazily conjugated or negated view; save t.resolve_conj() instead")
        numel = t.numel()
        if numel == 0:
            return
        shape, strides, itemsize = tuple(t.shape), t.stride(), t.element_size()
        for d, (n, s) in enumerate(zip(shape, strides)):
            if n > 1 and s == 0:
                raise CheckpointError(
                    f"{path} is an expanded tensor (shape {list(shape)}, stride 0 on dimension {d}): "
                    f"{numel} elements stored in far fewer bytes. Save t.contiguous() or t.clone()"
                )
        offset = t.storage_offset()
        last = offset + sum((n - 1) * s for n, s in zip(shape, strides))
        held = t.untyped_storage().nbytes()
        if offset < 0 or any(s < 0 for s in strides) or (last + 1) * itemsize > held:
            raise CheckpointError(
                f"{path} (shape {list(shape)}, strides {list(strides)}, offset {offset}) addresses "
                f"{(last + 1) * itemsize} bytes, but its storage holds only {held}"
            )
        reach = 0  # elements strictly below the next dimension's stride never overlap
        for n, s in sorted(((n, s) for n, s in zip(shape, strides) if n > 1), key=lambda p: p[1]):
            if s <= reach:
                raise CheckpointError(
                    f"{path} (shape {list(shape)}, strides {list(strides)}) is a view whose "
                    "elements may overlap each other. Save t.contiguous() or t.clone()"
                )
            reach += (n - 1) * s

    # -- pass 2 --------------------------------------------------------------------------
    def build(self, v, depth: int):
        t = type(v)
        if t in _TENSORS:
            key = _view_key(v)
            got = self.clones.get(key)
            if got is None:
                got = self.clones[key] = v.detach().clone(memory_format=torch.contiguous_format)
            return got
        if t in _LEAVES or t is torch.Size:
            return v
        if t in (dict, collections.OrderedDict):
            out: Any = t((self.build(k, depth + 1), self.build(x, depth + 1)) for k, x in v.items())  # _metadata
            meta = getattr(v, "_metadata", None)
            if meta is not None:
                out._metadata = self.build(meta, depth + 1)
            return out
        return t(self.build(x, depth + 1) for x in v)  # list, tuple, set, frozenset


def _view_key(t: torch.Tensor) -> tuple:
    """One key per distinct view: references to the same view share one clone (an empty tensor is its own)."""
    if t.numel() == 0:
        return (None, id(t))
    return (t.untyped_storage().data_ptr(), t.dtype, t.storage_offset(), tuple(t.shape), t.stride())


def _key(k) -> str:
    return repr(k)[:60] if isinstance(k, (str, int)) else type(k).__name__
