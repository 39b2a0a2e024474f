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
"""
from __future__ import annotations

import json
import math
import os
import struct

import torch

PREFIX = struct.Struct(">IQ")
MAX_HEADER = 16 * 1024 * 1024
DEFAULT_MAX_PAYLOAD = 512 * 1024 * 1024
MAX_DEPTH = 32
MAX_STR = 1_000_000

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
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}
NUMPY_DTYPES = {"float32", "float64", "float16", "int8", "uint8", "int16", "int32", "int64", "bool"}


class WireError(Exception):
    """A frame or value that does not follow the wire format."""


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

    def __init__(self, keep=None):
        self.chunks: list[bytes] = []
        self.size = 0
        self.keep = keep  # callable storing an object, returning a handle id

    def _bytes(self, data: bytes) -> tuple[int, int]:
        off = self.size
        self.chunks.append(data)
        self.size += len(data)
        return off, len(data)

    def encode(self, v, depth: int = 0):
        if depth >= MAX_DEPTH:
            return {"$object": {"type": "nested", "note": "nested too deeply"}}
        t = type(v)
        if v is None or t is bool or t is str:
            return v if t is not str else v[:MAX_STR]
        if t is int:
            return v if -(2**63) <= v < 2**63 else {"$object": {"type": "int", "note": "integer too large"}}
        if t is float:
            if math.isfinite(v):
                return v
            return {"$float": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}
        if t is torch.Tensor:
            return self._tensor(v)
        if t is list:
            return [self.encode(x, depth + 1) for x in v]
        if t is tuple:
            return {"$tuple": [self.encode(x, depth + 1) for x in v]}
        if t is dict:
            if all(type(k) is str for k in v):
                return {"$dict": [[k[:MAX_STR], self.encode(x, depth + 1)] for k, x in v.items()]}
            return {"$object": {"type": "dict", "note": "keys are not all str"}}
        if t is Handle:
            return {"$handle": v.id}
        np = _numpy()
        if np is not None:
            if t is np.ndarray:
                return self._ndarray(v)
            if isinstance(v, (np.floating, np.integer, np.bool_)) and type(v).__module__ == "numpy":
                return {"$object": {"type": f"numpy.{type(v).__name__}", "note": repr(float(v)) if isinstance(v, np.floating) else repr(int(v))}}
        if isinstance(v, torch.Tensor):
            return {"$object": {"type": _qualname(v), "note": "a subclass of torch.Tensor"}}
        if self.keep is not None and isinstance(v, torch.nn.Module):
            return {"$handle": self.keep(v), "$type": _qualname(v)}
        return {"$object": {"type": _qualname(v), "note": ""}}

    def _tensor(self, t: torch.Tensor):
        if t.layout != torch.strided or t.is_quantized or t.is_meta:
            return {"$object": {"type": "torch.Tensor", "note": f"layout {t.layout}, not a dense tensor"}}
        name = DTYPE_NAMES.get(t.dtype)
        if name is None:
            return {"$object": {"type": "torch.Tensor", "note": f"dtype {t.dtype} is not supported"}}
        t = t.detach()
        if t.device.type != "cpu":
            t = t.cpu()
        t = t.contiguous()
        if t.numel():
            data = t.reshape(-1).view(torch.uint8).numpy().tobytes()
        else:
            data = b""
        off, n = self._bytes(data)
        return {"$tensor": {"dtype": name, "shape": list(t.shape), "offset": off, "nbytes": n}}

    def _ndarray(self, a):
        name = str(a.dtype)
        if name not in NUMPY_DTYPES:
            return {"$object": {"type": "numpy.ndarray", "note": f"dtype {name} is not supported"}}
        a = _numpy().ascontiguousarray(a)
        off, n = self._bytes(a.tobytes())
        return {"$ndarray": {"dtype": name, "shape": list(a.shape), "offset": off, "nbytes": n}}


_NP = None


def _numpy():
    global _NP  # a cache of an import, not program state
    if _NP is None:
        try:
            import numpy

            _NP = numpy
        except Exception:  # pragma: no cover - numpy is a dependency
            _NP = False
    return _NP or None


class Decoder:
    """Turns a header value plus its payload back into Python objects, strictly."""

    def __init__(self, payload: bytes | memoryview, max_elements: int = 1 << 28):
        self.payload = memoryview(payload)
        self.max_elements = max_elements

    def decode(self, v, depth: int = 0):
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
            return [self.decode(x, depth + 1) for x in v]
        if not isinstance(v, dict) or not v:
            raise WireError(f"unexpected JSON value of type {type(v).__name__}")
        tag = next(iter(v))
        body = v[tag]
        if tag == "$tuple" and isinstance(body, list):
            return tuple(self.decode(x, depth + 1) for x in body)
        if tag == "$dict" and isinstance(body, list):
            out = {}
            for pair in body:
                if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                    raise WireError("malformed $dict entry")
                out[pair[0]] = self.decode(pair[1], depth + 1)
            return out
        if tag == "$float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "$tensor":
            return self._tensor(body)
        if tag == "$ndarray":
            return self._ndarray(body)
        if tag == "$handle" and isinstance(body, int):
            return Handle(body)
        if tag == "$object" and isinstance(body, dict):
            return Opaque(str(body.get("type", "?")), str(body.get("note", "")))
        raise WireError(f"unknown tag {tag!r}")

    def _slice(self, spec, itemsize: int):
        if not isinstance(spec, dict):
            raise WireError("malformed tensor description")
        shape, off, n = spec.get("shape"), spec.get("offset"), spec.get("nbytes")
        if not (isinstance(shape, list) and all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**40 for s in shape)):
            raise WireError("malformed shape")
        if len(shape) > 16:
            raise WireError("too many dimensions")
        numel = math.prod(shape)
        if numel > self.max_elements:
            raise WireError(f"tensor of {numel} elements is larger than allowed")
        if not (isinstance(off, int) and isinstance(n, int)) or off < 0 or n != numel * itemsize or off + n > len(self.payload):
            raise WireError("tensor bytes do not match its shape or lie outside the payload")
        return shape, self.payload[off : off + n]

    def _tensor(self, spec):
        name = spec.get("dtype") if isinstance(spec, dict) else None
        dtype = DTYPES.get(name) if isinstance(name, str) else None
        if dtype is None:
            raise WireError("tensor dtype not allowed")
        itemsize = torch.empty((), dtype=dtype).element_size()
        shape, data = self._slice(spec, itemsize)
        if not data:
            return torch.empty(shape, dtype=dtype)
        raw = torch.frombuffer(bytearray(data), dtype=torch.uint8)
        return raw.view(dtype).reshape(shape)

    def _ndarray(self, spec):
        np = _numpy()
        name = spec.get("dtype") if isinstance(spec, dict) else None
        if np is None or not isinstance(name, str) or name not in NUMPY_DTYPES:
            raise WireError("ndarray dtype not allowed")
        dt = np.dtype(name)
        shape, data = self._slice(spec, dt.itemsize)
        return np.frombuffer(bytes(data), dtype=dt).reshape(shape).copy()


def encode_frame(header: dict, values: dict | None = None, keep=None) -> bytes:
    """Encode ``header`` (plain JSON) with ``values`` (any wire values) into one frame."""
    enc = Encoder(keep=keep)
    body = dict(header)
    if values is not None:
        body["values"] = {k: enc.encode(v) for k, v in values.items()}
    raw = json.dumps(body, allow_nan=False, separators=(",", ":")).encode("utf-8")
    return b"".join([PREFIX.pack(len(raw), enc.size), raw, *enc.chunks])


def decode_frame(header_bytes: bytes, payload: bytes, max_elements: int = 1 << 28) -> tuple[dict, dict]:
    """Decode one frame body into (header, values)."""
    try:
        header = json.loads(header_bytes.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise WireError(f"header is not valid JSON: {e}") from None
    if not isinstance(header, dict):
        raise WireError("header is not an object")
    raw_values = header.pop("values", {})
    if not isinstance(raw_values, dict):
        raise WireError("values is not an object")
    dec = Decoder(payload, max_elements=max_elements)
    try:
        values = {k: dec.decode(v) for k, v in raw_values.items()}
    except RecursionError:
        raise WireError("value nested too deeply") from None
    return header, values


def _reject_constant(name: str):
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


def read_frame_blocking(fd: int, max_payload: int = DEFAULT_MAX_PAYLOAD) -> tuple[dict, dict]:
    """Read and decode one frame from fd, blocking (used by the worker)."""
    h, p = PREFIX.unpack(read_exact(fd, PREFIX.size))
    if h > MAX_HEADER or p > max_payload:
        raise WireError("frame too large")
    header = read_exact(fd, h)
    payload = read_exact(fd, p)
    return decode_frame(header, payload)
