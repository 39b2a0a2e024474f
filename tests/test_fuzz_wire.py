"""Property tests of checker.sandbox.wire's decoder against hostile frames.

Whatever the worker sends (truncated frames, lying lengths and shapes, huge
declared sizes, invalid UTF-8 or JSON, deep nesting, one payload slice used
twice, random damage to valid frames), decoding either returns or raises
``WireError``, and what it allocates stays within its budget: the Python
allocations (tracemalloc, which also sees the bytes of decoded tensors and
arrays) stay under what was charged, and the bytes of the returned tensors and
arrays under the budget.
"""

from __future__ import annotations

import json
import math
import tracemalloc

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.sandbox import wire
from checker.sandbox.wire import Budget, WireError

SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
LIMIT = 4 << 20  # the message budget in these tests
SLACK = 64 * 1024  # fixed costs not charged: the exception and its message, memoryviews, frames


def _payload_bytes(v) -> int:
    if isinstance(v, torch.Tensor):
        return v.numel() * v.element_size()
    if isinstance(v, np.ndarray):
        return v.nbytes
    if isinstance(v, dict):
        return sum(_payload_bytes(x) for x in v.values())
    if isinstance(v, (list, tuple)):
        return sum(_payload_bytes(x) for x in v)
    return 0


def decode_bounded(header: bytes, payload: bytes, limit: int = LIMIT):
    """decode_frame under a budget of ``limit``: returns (header, values) or the WireError; asserts the bounds."""
    sub = Budget(1 << 40, "submission")
    tracemalloc.start()
    try:
        try:
            out = wire.decode_frame(header, payload, budget=sub, max_message_bytes=limit)
        except WireError as e:
            out = e
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sub.used <= limit
    assert peak <= sub.used + SLACK, (peak, sub.used)
    if not isinstance(out, WireError):
        assert _payload_bytes(out[1]) <= sub.used <= limit
    return out


def split_frame(frame: bytes):
    """What the grader's reader does with a byte stream: (header, payload), or None where the stream ends early."""
    if len(frame) < wire.PREFIX.size:
        return None
    hlen, plen = wire.PREFIX.unpack(frame[: wire.PREFIX.size])
    if hlen > wire.MAX_HEADER or plen > wire.DEFAULT_MAX_PAYLOAD:
        raise WireError("frame too large")
    body = frame[wire.PREFIX.size :]
    if len(body) < hlen + plen:
        return None  # EOFError in the reader: the worker died mid-frame
    return body[:hlen], body[hlen : hlen + plen]


def decode_stream(frame: bytes):
    try:
        parts = split_frame(frame)
    except WireError as e:
        return e
    if parts is None:
        return None
    return decode_bounded(*parts)


# -- strategies -----------------------------------------------------------------------------------

_DTYPES = sorted(wire.DTYPES)
_NP_DTYPES = sorted(wire.NUMPY_DTYPES)


@st.composite
def tensors(draw):
    name = draw(st.sampled_from(_DTYPES))
    shape = draw(st.lists(st.integers(0, 4), max_size=3))
    nbytes = math.prod(shape) * wire._ITEMSIZE[name]
    raw = draw(st.binary(min_size=nbytes, max_size=nbytes))
    if name == "bool":
        raw = bytes(b & 1 for b in raw)
    return (
        torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(wire.DTYPES[name]).reshape(shape)
        if nbytes
        else torch.empty(shape, dtype=wire.DTYPES[name])
    )


@st.composite
def arrays(draw):
    dt = np.dtype(draw(st.sampled_from(_NP_DTYPES)))
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    n = math.prod(shape)
    raw = draw(st.binary(min_size=n * dt.itemsize, max_size=n * dt.itemsize))
    return np.frombuffer(raw, dtype=dt).reshape(shape).copy()


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=True), st.text(max_size=20)
)
values = st.recursive(
    st.one_of(scalars, tensors(), arrays()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.tuples(inner, inner), st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
frames = st.builds(
    lambda vs: wire.encode_frame({"op": "result", "ok": True}, vs),
    st.dictionaries(st.text(max_size=5), values, max_size=3),
)

# numbers chosen to hit the edges: negative, zero, huge, the largest a uint64 holds
edge_ints = st.one_of(
    st.integers(-4, 64),
    st.sampled_from([2**31, 2**32, 2**40 - 1, 2**40, 2**62, 2**63 - 1, 2**64]),
    st.integers(-(2**70), 2**70),
)
json_junk = st.one_of(
    edge_ints,
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.text(max_size=8),
    st.lists(edge_ints, max_size=3),
)


@st.composite
def lying_specs(draw):
    """A $tensor or $ndarray whose dtype, shape, offset and nbytes may each lie, or agree with huge or empty shapes."""
    tag = draw(st.sampled_from(["$tensor", "$ndarray"]))
    if draw(st.booleans()):  # consistent: nbytes follows from dtype and shape, which may be huge or empty
        name = draw(st.sampled_from(sorted(wire.NUMPY_DTYPES) if tag == "$ndarray" else _DTYPES))
        shape = draw(st.lists(st.sampled_from([0, 1, 2, 3, 7, 2**20, 2**31, 2**40 - 1]), max_size=15))
        if draw(st.booleans()):  # empty, whatever its other dimensions say
            shape.insert(draw(st.integers(0, len(shape))), 0)
        spec = {
            "dtype": name,
            "shape": shape,
            "offset": draw(st.one_of(st.just(0), st.integers(0, 300))),
            "nbytes": math.prod(shape) * wire._ITEMSIZE[name],
        }
    else:
        spec = {
            "dtype": draw(
                st.one_of(st.sampled_from(_DTYPES + ["float128", "complex64", "object", "<U4", ""]), json_junk)
            ),
            "shape": draw(st.one_of(st.lists(edge_ints, max_size=17), json_junk)),
            "offset": draw(st.one_of(edge_ints, json_junk)),
            "nbytes": draw(st.one_of(edge_ints, json_junk)),
        }
        for k in draw(st.lists(st.sampled_from(list(spec)), max_size=2)):
            spec.pop(k, None)
    return {tag: spec}


# -- properties -----------------------------------------------------------------------------------


@SETTINGS
@given(frames)
def test_valid_frames_decode_within_budget(frame):
    out = decode_stream(frame)
    assert out is not None and not isinstance(out, WireError), out


@SETTINGS
@given(frames, st.data())
def test_truncated_frames_never_crash(frame, data):
    cut = data.draw(st.integers(0, len(frame)))
    out = decode_stream(frame[:cut])
    assert out is None or isinstance(out, (WireError, tuple))


@SETTINGS
@given(frames, st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8))
def test_randomly_damaged_frames_never_crash(frame, flips):
    b = bytearray(frame)
    for pos, val in flips:
        b[pos % len(b)] = val
    decode_stream(bytes(b))


@SETTINGS
@given(frames, st.integers(0, 2**32 - 1), st.integers(0, 2**64 - 1))
def test_lying_frame_lengths_never_crash(frame, hlen, plen):
    decode_stream(wire.PREFIX.pack(hlen, plen) + frame[wire.PREFIX.size :])


@SETTINGS
@given(st.lists(lying_specs(), min_size=1, max_size=4), st.binary(max_size=256))
def test_lying_shapes_sizes_and_offsets_never_crash(specs, payload):
    out = decode_bounded(json.dumps({"values": {"v": specs}}).encode(), payload)
    if not isinstance(out, WireError):
        for spec, got in zip(specs, out[1]["v"]):
            body = next(iter(spec.values()))
            assert _payload_bytes(got) == body["nbytes"]


@SETTINGS
@given(st.sampled_from(_DTYPES), st.lists(st.integers(0, 2**40 - 1), min_size=1, max_size=16), st.integers(0, 64))
def test_huge_declared_sizes_are_refused_before_allocation(dtype, shape, sent):
    itemsize = torch.empty((), dtype=wire.DTYPES[dtype]).element_size()
    declared = math.prod(shape) * itemsize
    spec = {"$tensor": {"dtype": dtype, "shape": shape, "offset": 0, "nbytes": declared}}
    out = decode_bounded(json.dumps({"values": {"v": spec}}).encode(), bytes(sent))
    if declared > LIMIT:
        assert isinstance(out, WireError)


@SETTINGS
@given(st.binary(max_size=512), st.binary(max_size=64))
def test_arbitrary_bytes_as_header_never_crash(header, payload):
    decode_bounded(header, payload)


@SETTINGS
@given(st.text(max_size=300), st.binary(max_size=64))
def test_arbitrary_text_as_header_never_crashes(text, payload):
    decode_bounded(text.encode("utf-8", "surrogatepass"), payload)


@SETTINGS
@given(
    st.recursive(
        json_junk,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(
                st.sampled_from(["$tuple", "$dict", "$float", "$tensor", "$ndarray", "$handle", "$object", "$x", "a"]),
                inner,
                min_size=1,
                max_size=2,
            ),
        ),
        max_leaves=20,
    )
)
def test_arbitrary_json_values_never_crash(v):
    decode_bounded(json.dumps({"values": {"v": v}}).encode(), bytes(64))


@SETTINGS
@given(st.integers(1, 3000), st.sampled_from(["[", '{"$tuple":[', '{"$dict":[["k",']), st.booleans())
def test_deeply_nested_values_are_a_wire_error(depth, opener, closed):
    closer = {"[": "]", '{"$tuple":[': "]}", '{"$dict":[["k",': "]]}"}[opener]
    text = '{"values":{"v":' + opener * depth + "1" + (closer * depth if closed else "") + "}}"
    out = decode_bounded(text.encode(), b"")
    if depth > wire.MAX_DEPTH:
        assert isinstance(out, WireError)


@SETTINGS
@given(st.sampled_from(_DTYPES), st.integers(1, 64), st.integers(2, 40), st.booleans())
def test_duplicate_references_are_refused(dtype, numel, refs, as_ndarray):
    if as_ndarray and dtype not in wire.NUMPY_DTYPES:
        dtype = "float32"
    itemsize = torch.empty((), dtype=wire.DTYPES[dtype]).element_size()
    spec = {"dtype": dtype, "shape": [numel], "offset": 0, "nbytes": numel * itemsize}
    specs = [{"$ndarray" if as_ndarray and i % 2 else "$tensor": spec} for i in range(refs)]
    out = decode_bounded(json.dumps({"values": {"v": specs}}).encode(), bytes(numel * itemsize))
    assert isinstance(out, WireError) and "referenced twice" in str(out)


@SETTINGS
@given(frames, st.data())
def test_a_second_reference_to_a_valid_slice_is_refused(frame, data):
    header, payload = split_frame(frame)
    doc = json.loads(header)
    found = []

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k in ("$tensor", "$ndarray") and x["nbytes"]:
                    found.append({k: x})
                else:
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(doc.get("values", {}))
    if not found:
        return
    dup = data.draw(st.sampled_from(found))
    doc["values"]["extra"] = [dup]
    out = decode_bounded(json.dumps(doc).encode(), payload)
    assert isinstance(out, WireError) and "referenced twice" in str(out)


@settings(SETTINGS, max_examples=30)
@given(st.integers(1, 30_000), st.sampled_from(["[]", "{}", "0.5", '"ab"', '{"$tuple":[[]]}', '{"$handle":99999}']))
def test_many_tiny_items_stay_within_budget(n, item):
    text = '{"values":{"v":[' + ",".join([item] * n) + "]}}"
    decode_bounded(text.encode(), b"")
