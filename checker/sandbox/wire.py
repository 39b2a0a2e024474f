"""Wire format between the grader and the sandboxed worker.

This module is imported on *both* sides of the trust boundary, so it uses
only the standard library and torch, and it never unpickles anything.

A message (a *frame*) is::

    12-byte prefix:  uint32 big-endian header length H, uint64 big-endian payload length P
    H bytes:         the header, UTF-8 JSON
    P bytes:         the payload: raw tensor bytes, concatenated

Values inside the header are plain JSON with a few tagged objects:

    null, true/false, int, str, finite float   as themselves
    [a, b, ...]                                 a list
    {"$tuple": [...]}                           a tuple
    {"$dict": [[key, value], ...]}              a dict with str keys
    {"$float": "nan" | "inf" | "-inf"}          a non-finite float
    {"$tensor": {"dtype", "shape", "offset", "nbytes"}}   bytes in the payload
    {"$ndarray": {"dtype", "shape", "offset", "nbytes"}}  a numpy array, same layout
    {"$handle": n}                              an object kept in the worker
    {"$object": {"type": "...", "note": "..."}}  anything else, described, never serialised

Decoding is strict: an unknown tag, a dtype not in ``DTYPES``, a shape that
does not match the byte count or a slice outside the payload raise
``WireError``.  Tensors decode to fresh, contiguous, plain ``torch.Tensor``
objects on the CPU.

Decoding is also bounded: every message is decoded against a ``Budget`` of
bytes (by default ``DEFAULT_MESSAGE_BUDGET``; the grader chains it to one
budget per submission).  The header is charged an upper estimate of what
parsing it can allocate *before* it is parsed; every tensor or array is
charged its declared size *before* anything is allocated; and each byte of
the payload is materialised at most once: two references to the same (or an
overlapping) slice are rejected, and bytes no value refers to are charged too.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any, Literal, NoReturn, TypeAlias

import torch

PREFIX = struct.Struct(">IQ")
MAX_HEADER = 16 * 1024 * 1024
DEFAULT_MAX_PAYLOAD = 512 * 1024 * 1024
MAX_DEPTH = 32
MAX_STR = 1_000_000
# What decoding one message may materialise: the largest payload plus room for what a
# header of up to MAX_HEADER bytes parses into (see _header_cost).
DEFAULT_MESSAGE_BUDGET = DEFAULT_MAX_PAYLOAD + 8 * MAX_HEADER
# What the grader decodes from one submission's worker, all messages together (session.py).
DEFAULT_SUBMISSION_BUDGET = 1 << 30
# Upper estimate of the Python objects json.loads and the decoder make from a header:
# per header byte (its text decoded, strings up to 4 bytes a character), per container
# opened ('[' or '{': the parsed container and the decoded copy) and per item (',' or ':':
# a small object and the slots that point at it, twice).  Calibrated with tracemalloc
# against the worst headers per byte (tests/test_fuzz_wire.py checks the bound).
HEADER_BYTE_COST = 10
HEADER_CONTAINER_COST = 200
HEADER_ITEM_COST = 80
# What one tensor or array costs besides its bytes (the object, its storage).
OBJECT_COST = 512

DTYPES: dict[str, torch.dtype] = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "int8": torch.int8,
    "uint8": torch.uint8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "bool": torch.bool,
}
# What the header of a frame is made of once parsed (json.loads), and what Encoder.encode makes of a value.
JsonValue: TypeAlias = "None | bool | int | float | str | list[JsonValue] | dict[str, JsonValue]"
# A decoded frame: its header (a JSON object) and its values (anything the wire format carries: tensors,
# arrays, Handle, Opaque, containers of them); both are checked field by field by whoever reads them.
Header: TypeAlias = dict[str, Any]
Values: TypeAlias = dict[str, Any]
# Stores an object in the worker and answers its handle id (Worker.keep).
Keep: TypeAlias = Callable[[object], int]

DTYPE_NAMES = {v: k for k, v in DTYPES.items()}
NUMPY_DTYPES = {"float32", "float64", "float16", "int8", "uint8", "int16", "int32", "int64", "bool"}


class WireError(Exception):
    """A frame or value that does not follow the wire format."""


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n} bytes"


class Budget:
    """A limit on the bytes decoding may materialise, and how much of it is used.

    ``charge(n)`` adds n bytes, or raises ``WireError`` (and adds nothing) when
    that would go over the limit of this budget or of its ``parent``: a message's
    budget chained to the submission's charges both.
    """

    __slots__ = ("limit", "used", "what", "parent")

    def __init__(self, limit: int, what: str = "message", parent: "Budget | None" = None):
        if limit < 0:
            raise ValueError("a budget cannot be negative")
        self.limit = int(limit)
        self.used = 0
        self.what = what
        self.parent = parent

    @property
    def remaining(self) -> int:
        left = self.limit - self.used
        return left if self.parent is None else min(left, self.parent.remaining)

    def check(self, n: int, for_what: str = "the value") -> None:
        """Raise ``WireError`` if ``n`` more bytes would go over this budget or a parent; charge nothing."""
        n = int(n)
        if n < 0:
            raise ValueError("a charge cannot be negative")
        b: Budget | None = self
        while b is not None:
            if n > b.limit - b.used:
                raise WireError(
                    f"{for_what} needs {_mib(n)}, more than the {_mib(b.limit - b.used)} left of the "
                    f"{_mib(b.limit)} budget per {b.what}"
                )
            b = b.parent

    def charge(self, n: int, for_what: str = "the value") -> None:
        """Add ``n`` bytes here and to every parent, or raise ``WireError`` (adding nothing) if one cannot afford them."""
        self.check(n, for_what)
        b: Budget | None = self
        while b is not None:
            b.used += int(n)
            b = b.parent

    def __repr__(self) -> str:
        return f"Budget({self.used}/{self.limit} per {self.what})"


class Handle:
    """A reference to an object that stays inside the worker."""

    __slots__ = ("id",)

    def __init__(self, id: int):
        self.id = int(id)

    def __repr__(self) -> str:
        return f"Handle({self.id})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Handle) and other.id == self.id

    def __hash__(self) -> int:
        return hash(("handle", self.id))


class Opaque:
    """An object the worker could not (or would not) send: only its description arrives."""

    __slots__ = ("type", "note")

    def __init__(self, type: str, note: str = ""):
        self.type = str(type)[:200]
        self.note = str(note)[:500]

    def __repr__(self) -> str:
        return f"<{self.type}{' ' + self.note if self.note else ''}>"


def _qualname(obj: object) -> str:
    t = type(obj)
    mod = getattr(t, "__module__", "?")
    name = getattr(t, "__qualname__", getattr(t, "__name__", "?"))
    return f"{mod}.{name}" if mod not in ("builtins", None) else str(name)


class Encoder:
    """Turns a value into (header-JSON-able object, payload chunks)."""

    def __init__(self, keep: Keep | None = None):
        self.chunks: list[bytes] = []
        self.size = 0
        self.keep = keep  # callable storing an object, returning a handle id

    def _bytes(self, data: bytes) -> tuple[int, int]:
        off = self.size
        self.chunks.append(data)
        self.size += len(data)
        return off, len(data)

    def encode(self, v: object, depth: int = 0) -> JsonValue:
        # exact types (``type(v) is``): a subclass is not sent as its base
        if depth >= MAX_DEPTH:
            return {"$object": {"type": "nested", "note": "nested too deeply"}}
        if v is None or type(v) is bool:
            return v
        if type(v) is str:
            return v[:MAX_STR]
        if type(v) is int:
            return v if -(2**63) <= v < 2**63 else {"$object": {"type": "int", "note": "integer too large"}}
        if type(v) is float:
            if math.isfinite(v):
                return v
            return {"$float": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}
        if type(v) is torch.Tensor:
            return self._tensor(v)
        if type(v) is list:
            return [self.encode(x, depth + 1) for x in v]
        if type(v) is tuple:
            return {"$tuple": [self.encode(x, depth + 1) for x in v]}
        if type(v) is dict:
            if all(type(k) is str for k in v):
                return {"$dict": [[k[:MAX_STR], self.encode(x, depth + 1)] for k, x in v.items()]}
            return {"$object": {"type": "dict", "note": "keys are not all str"}}
        if type(v) is Handle:
            return {"$handle": v.id}
        np = _numpy()
        if np is not None:
            if type(v) is np.ndarray:
                return self._ndarray(v, np)
            if isinstance(v, (np.floating, np.integer, np.bool_)) and type(v).__module__ == "numpy":
                return {
                    "$object": {
                        "type": f"numpy.{type(v).__name__}",
                        "note": repr(float(v)) if isinstance(v, np.floating) else repr(int(v)),
                    }
                }
        if isinstance(v, torch.Tensor):
            return {"$object": {"type": _qualname(v), "note": "a subclass of torch.Tensor"}}
        if self.keep is not None and isinstance(v, torch.nn.Module):
            return {"$handle": self.keep(v), "$type": _qualname(v)}
        return {"$object": {"type": _qualname(v), "note": ""}}

    def _tensor(self, t: torch.Tensor) -> JsonValue:
        if t.layout != torch.strided or t.is_quantized or t.is_meta:
            return {"$object": {"type": "torch.Tensor", "note": f"layout {t.layout}, not a dense tensor"}}
        name = DTYPE_NAMES.get(t.dtype)
        if name is None:
            return {"$object": {"type": "torch.Tensor", "note": f"dtype {t.dtype} is not supported"}}
        t = t.detach()
        if t.device.type != "cpu":
            t = t.cpu()
        t = t.contiguous()
        data = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        off, n = self._bytes(data)
        return {"$tensor": {"dtype": name, "shape": list(t.shape), "offset": off, "nbytes": n}}

    def _ndarray(self, a: Any, np: ModuleType) -> JsonValue:  # a numpy.ndarray; np: numpy, imported lazily (_numpy)
        name = str(a.dtype)
        if name not in NUMPY_DTYPES:
            return {"$object": {"type": "numpy.ndarray", "note": f"dtype {name} is not supported"}}
        a = np.ascontiguousarray(a)
        off, n = self._bytes(a.tobytes())
        return {"$ndarray": {"dtype": name, "shape": list(a.shape), "offset": off, "nbytes": n}}


_NP: ModuleType | Literal[False] | None = None


def _numpy() -> ModuleType | None:
    global _NP  # a cache of an import, not program state
    if _NP is None:
        try:
            import numpy

            _NP = numpy
        except Exception:  # pragma: no cover - numpy is a dependency
            _NP = False
    return _NP or None


class Decoder:
    """Turns header values plus their payload back into Python objects, strictly and within a budget.

    Decoding is two passes over the parsed header: ``check`` validates every value
    and charges the declared size of every tensor and array to the budget (nothing
    is allocated yet), ``finish_check`` rejects payload slices referenced twice or
    overlapping, and only then ``build`` materialises, each payload byte at most once.
    ``decode`` does all three for a single value.
    """

    def __init__(
        self, payload: bytes | bytearray | memoryview, max_elements: int = 1 << 28, budget: Budget | None = None
    ):
        self.payload = memoryview(payload).cast("B")
        self.max_elements = max_elements
        self.budget = budget if budget is not None else Budget(DEFAULT_MESSAGE_BUDGET)
        self._slices: list[tuple[int, int]] = []

    def decode(self, v: object, depth: int = 0) -> Any:
        self.check(v, depth)
        self.finish_check()
        return self.build(v, depth)

    def check(self, v: object, depth: int = 0) -> None:
        """Pass 1: validate ``v`` and charge what building it will allocate; allocates nothing."""
        self._walk(v, depth, False)

    def finish_check(self) -> None:
        """After every ``check`` of a message: each non-empty payload slice is referenced once and overlaps no
        other; payload bytes no value refers to are charged as well (the encoder leaves none)."""
        slices = sorted(self._slices)
        for (o1, n1), (o2, _) in zip(slices, slices[1:]):
            if o2 < o1 + n1:
                raise WireError("a payload slice is referenced twice (or overlaps another one)")
        unused = len(self.payload) - sum(n for _, n in slices)
        if unused:
            self.budget.charge(unused, f"{unused} payload bytes that no value refers to")

    def build(self, v: object, depth: int = 0) -> Any:
        """Pass 2: materialise a value that passed ``check``."""
        return self._walk(v, depth, True)

    def _walk(self, v: object, depth: int, build: bool) -> Any:
        """``v``: a value of a parsed header; answers what it decodes to (when ``build``; else None)."""
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int):
            return int(v)
        if isinstance(v, float):
            if not math.isfinite(v):
                raise WireError("bare non-finite float")
            return float(v)
        if isinstance(v, list):
            if build:
                return [self._walk(x, depth + 1, True) for x in v]
            for x in v:
                self._walk(x, depth + 1, False)
            return None
        if not isinstance(v, dict) or not v:
            raise WireError(f"unexpected JSON value of type {type(v).__name__}")
        tag = next(iter(v))
        body = v[tag]
        if tag == "$tuple" and isinstance(body, list):
            if build:
                return tuple(self._walk(x, depth + 1, True) for x in body)
            for x in body:
                self._walk(x, depth + 1, False)
            return None
        if tag == "$dict" and isinstance(body, list):
            out: dict[str, Any] = {}
            for pair in body:
                if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                    raise WireError("malformed $dict entry")
                value = self._walk(pair[1], depth + 1, build)
                if build:
                    out[pair[0]] = value
            return out if build else None
        if tag == "$float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "$tensor":
            return self._tensor(body, build)
        if tag == "$ndarray":
            return self._ndarray(body, build)
        if tag == "$handle" and isinstance(body, int):
            return Handle(body)
        if tag == "$object" and isinstance(body, dict):
            return Opaque(_text(body.get("type", "?")), _text(body.get("note", "")))
        raise WireError(f"unknown tag {tag[:60]!r}")

    def _slice(self, spec: object, itemsize: int, build: bool) -> tuple[list[int], memoryview | None]:
        if not isinstance(spec, dict):
            raise WireError("malformed tensor description")
        shape, off, n = spec.get("shape"), spec.get("offset"), spec.get("nbytes")
        if not (
            isinstance(shape, list)
            and all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**40 for s in shape)
        ):
            raise WireError("malformed shape")
        if len(shape) > 16:
            raise WireError("too many dimensions")
        numel = math.prod(shape)
        if numel > self.max_elements:
            raise WireError(f"tensor of {numel} elements is larger than allowed")
        if math.prod(max(s, 1) for s in shape) * itemsize >= 2**62:
            raise WireError("tensor shape too large")  # even when empty: its strides would overflow
        declared = numel * itemsize
        what = f"a tensor of shape {shape}"
        if not build:
            self.budget.check(declared + OBJECT_COST, what)  # before looking at (let alone copying) its bytes
        if not (isinstance(off, int) and isinstance(n, int)) or off < 0 or n != declared or off + n > len(self.payload):
            raise WireError("tensor bytes do not match its shape or lie outside the payload")
        if not build:
            self.budget.charge(declared + OBJECT_COST, what)
            if n:
                self._slices.append((off, n))
            return shape, None
        return shape, self.payload[off : off + n]

    def _tensor(self, spec: object, build: bool) -> torch.Tensor | None:
        name = spec.get("dtype") if isinstance(spec, dict) else None
        if not isinstance(name, str) or name not in DTYPES:
            raise WireError("tensor dtype not allowed")
        dtype = DTYPES[name]
        itemsize = _ITEMSIZE[name]
        shape, data = self._slice(spec, itemsize, build)
        if not build:
            return None
        try:
            if not data:
                return torch.empty(shape, dtype=dtype)
            raw = torch.frombuffer(bytearray(data), dtype=torch.uint8)  # the one copy of these bytes
            return raw.view(dtype).reshape(shape)
        except (RuntimeError, ValueError) as e:  # pragma: no cover - _slice rules these out
            raise WireError(f"tensor cannot be built: {str(e)[:200]}") from None

    def _ndarray(self, spec: object, build: bool) -> Any:  # a numpy.ndarray, or None
        np = _numpy()
        name = spec.get("dtype") if isinstance(spec, dict) else None
        if np is None or not isinstance(name, str) or name not in NUMPY_DTYPES:
            raise WireError("ndarray dtype not allowed")
        dt = np.dtype(name)
        shape, data = self._slice(spec, dt.itemsize, build)
        if not build:
            return None
        try:
            return np.frombuffer(data, dtype=dt).reshape(shape).copy()  # the one copy of these bytes
        except (RuntimeError, ValueError) as e:  # pragma: no cover - _slice rules these out
            raise WireError(f"array cannot be built: {str(e)[:200]}") from None


_ITEMSIZE = {name: torch.empty((), dtype=dt).element_size() for name, dt in DTYPES.items()}


def _text(v: object) -> str:
    """A string field of an $object: only a string counts (str() of a hostile list could be huge)."""
    return v if isinstance(v, str) else "?"


def _header_cost(raw: bytes | bytearray) -> int:
    """An upper estimate of the bytes json.loads and the decoder allocate for this header, counted before parsing it."""
    containers = raw.count(b"[") + raw.count(b"{")
    items = raw.count(b",") + raw.count(b":")
    return HEADER_BYTE_COST * len(raw) + HEADER_CONTAINER_COST * containers + HEADER_ITEM_COST * items + 4096


def encode_frame(
    header: Mapping[str, object], values: Mapping[str, object] | None = None, keep: Keep | None = None
) -> bytes:
    """Encode ``header`` (plain JSON) with ``values`` (any wire values) into one frame."""
    enc = Encoder(keep=keep)
    body = dict(header)
    if values is not None:
        body["values"] = {k: enc.encode(v) for k, v in values.items()}
    raw = json.dumps(body, allow_nan=False, separators=(",", ":")).encode("utf-8")
    return b"".join([PREFIX.pack(len(raw), enc.size), raw, *enc.chunks])


def decode_frame(
    header_bytes: bytes | bytearray | memoryview,
    payload: bytes | bytearray | memoryview,
    max_elements: int = 1 << 28,
    budget: Budget | None = None,
    max_message_bytes: int = DEFAULT_MESSAGE_BUDGET,
) -> tuple[Header, Values]:
    """Decode one frame body into (header, values).

    Everything decoding materialises is charged to a budget of ``max_message_bytes``
    for this message, chained to ``budget`` (the submission's, when given): a frame
    that would go over either raises ``WireError`` before the allocation.
    """
    if not isinstance(header_bytes, (bytes, bytearray)):
        header_bytes = bytes(header_bytes)
    if len(header_bytes) > MAX_HEADER:
        raise WireError("frame too large")
    message = Budget(max_message_bytes, "message", parent=budget)
    message.charge(_header_cost(header_bytes), f"a header of {len(header_bytes)} bytes")
    try:
        header = json.loads(header_bytes.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise WireError(f"header is not valid JSON: {str(e)[:200]}") from None
    if not isinstance(header, dict):
        raise WireError("header is not an object")
    raw_values = header.pop("values", {})
    if not isinstance(raw_values, dict):
        raise WireError("values is not an object")
    dec = Decoder(payload, max_elements=max_elements, budget=message)
    try:
        for v in raw_values.values():
            dec.check(v)
        dec.finish_check()
        values = {k: dec.build(v) for k, v in raw_values.items()}
    except RecursionError:
        raise WireError("value nested too deeply") from None
    return header, values


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"bare {name} is not allowed")


def write_frame(fd: int, frame: bytes) -> None:
    view = memoryview(frame)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_exact(fd: int, n: int) -> bytes:
    """Read exactly n bytes (blocking). Raises EOFError if the stream ends first."""
    parts = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError("stream closed")
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def read_frame_blocking(fd: int, max_payload: int = DEFAULT_MAX_PAYLOAD) -> tuple[Header, Values]:
    """Read and decode one frame from fd, blocking (used by the worker)."""
    h, p = PREFIX.unpack(read_exact(fd, PREFIX.size))
    if h > MAX_HEADER or p > max_payload:
        raise WireError("frame too large")
    header = read_exact(fd, h)
    payload = read_exact(fd, p)
    return decode_frame(header, payload)
