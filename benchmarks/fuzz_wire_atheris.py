"""Coverage-guided fuzzing of the wire decoder with atheris (optional; not run by pytest).

    pip install atheris
    python benchmarks/fuzz_wire_atheris.py [CORPUS_DIR] -max_total_time=300 -rss_limit_mb=1536

An input is what the worker could write to the grader's pipe: ``F`` and a whole
frame (12-byte prefix, header, payload), split the way ``WorkerSession._receive``
splits it; or a header, a newline and a payload (the lengths then follow from the
split, so that mutations of the header keep it whole).  It is decoded with
``decode_frame`` under a 16 MiB message budget chained to a 64 MiB submission
budget.  A finding is anything but a return or a
``WireError``, a budget over its limit, decoded tensors or arrays holding more
bytes than were charged, or (libFuzzer's own check) the process growing past
``-rss_limit_mb``.

The corpus directory (default: a temporary one) is seeded with valid frames from
the encoder, and a dictionary of the format's tokens is passed to libFuzzer, so
that mutations reach the tagged values quickly.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports(include=["checker.sandbox.wire"]):
    from checker.sandbox import wire

import numpy as np  # noqa: E402
import torch  # noqa: E402

MESSAGE_LIMIT = 16 << 20
SUBMISSION_LIMIT = 64 << 20

TOKENS = [
    '"$tensor"',
    '"$ndarray"',
    '"$tuple"',
    '"$dict"',
    '"$float"',
    '"$handle"',
    '"$object"',
    '"values"',
    '"dtype"',
    '"shape"',
    '"offset"',
    '"nbytes"',
    '"float32"',
    '"float64"',
    '"bool"',
    '"uint8"',
    '"int64"',
    '"bfloat16"',
    '"nan"',
    '"inf"',
    "[[",
    "]]",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "null",
    "true",
    "0",
    "-1",
    "1099511627775",
    "4294967296",
    "18446744073709551615",
    "1e999",
    "NaN",
    "Infinity",
    '"\\ud800"',
]


def _seeds() -> list[bytes]:
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    return [
        wire.encode_frame({"op": "ready", "ok": True, "pid": 1}),
        wire.encode_frame({"id": 1, "ok": True}, {"result": t}),
        wire.encode_frame({"id": 2, "ok": True}, {"result": (t, [torch.zeros(0), 1.5, None], {"k": np.arange(3)})}),
        wire.encode_frame(
            {"id": 3, "ok": True}, {"results": [torch.ones(2, dtype=torch.bool), float("nan"), "x" * 40]}
        ),
        wire.encode_frame({"id": 4, "ok": False, "error": {"type": "ValueError", "message": "m"}}),
        wire.encode_frame({"id": 5, "ok": True}, {"h": wire.Handle(3), "big": 2**70, "d": {1: 2}}),
        wire.encode_frame(
            {"id": 6, "ok": True}, {"e": [torch.zeros(0, 2, 3), np.zeros((2, 0, 4)), torch.ones(1, 2, 1, 2)]}
        ),
    ]


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


def _split(data: bytes) -> tuple[bytes, bytes] | None:
    """An input is either b"F" + a whole frame, whose prefix gives the lengths (that may lie), or
    header + b"\\n" + payload, so that mutating the header does not also have to fix its length."""
    if data[:1] != b"F":
        header, _, payload = data.partition(b"\n")
        return header, payload
    data = data[1:]
    if len(data) < wire.PREFIX.size:
        return None
    hlen, plen = wire.PREFIX.unpack(data[: wire.PREFIX.size])
    if hlen > wire.MAX_HEADER or plen > wire.DEFAULT_MAX_PAYLOAD:
        return None  # the reader refuses these before reading on
    body = data[wire.PREFIX.size :]
    if len(body) < hlen + plen:
        # a worker that dies mid-frame is an EOF; decode what there is anyway, with lengths that lie
        hlen = min(hlen, len(body))
        plen = len(body) - hlen
    return body[:hlen], body[hlen : hlen + plen]


def test_one_input(data: bytes) -> None:
    parts = _split(data)
    if parts is None:
        return
    header, payload = parts
    sub = wire.Budget(SUBMISSION_LIMIT, "submission")
    try:
        _, values = wire.decode_frame(header, payload, budget=sub, max_message_bytes=MESSAGE_LIMIT)
    except wire.WireError:
        values = None
    if sub.used > MESSAGE_LIMIT:
        raise AssertionError(f"charged {sub.used} bytes, over the message budget of {MESSAGE_LIMIT}")
    if values is not None and _payload_bytes(values) > sub.used:
        raise AssertionError(f"decoded {_payload_bytes(values)} payload bytes but charged only {sub.used}")


def main() -> None:
    args = list(sys.argv)
    corpus = next((a for a in args[1:] if not a.startswith("-")), None)
    if corpus is None:
        corpus = tempfile.mkdtemp(prefix="wire_corpus_")
        args.insert(1, corpus)
    os.makedirs(corpus, exist_ok=True)
    if not os.listdir(corpus):
        for i, frame in enumerate(_seeds()):
            Path(corpus, f"frame{i}").write_bytes(b"F" + frame)
            hlen = wire.PREFIX.unpack(frame[: wire.PREFIX.size])[0]
            body = frame[wire.PREFIX.size :]
            Path(corpus, f"split{i}").write_bytes(body[:hlen] + b"\n" + body[hlen:])
    if not any(a.startswith("-dict=") for a in args):
        d = Path(tempfile.mkdtemp(prefix="wire_dict_")) / "wire.dict"
        d.write_text("".join(f"{_dict_entry(t)}\n" for t in TOKENS))
        args.append(f"-dict={d}")
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()


def _dict_entry(token: str) -> str:
    return '"' + token.replace("\\", "\\\\").replace('"', '\\"') + '"'


if __name__ == "__main__":
    main()
