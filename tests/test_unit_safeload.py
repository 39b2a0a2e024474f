"""checker.sandbox.safeload: checkpoints load within a size and element budget, hostile tensors are refused."""

from __future__ import annotations

import collections
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

from checker.sandbox.safeload import CheckpointError, load_checkpoint_bytes

ROOT = Path(__file__).resolve().parent.parent
BIG = {"max_bytes": 1 << 30, "max_elements": 1 << 30}


def saved(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


class _View:
    """Pickles as torch's own tensor rebuild over ``base``'s storage with any offset, shape and strides.

    torch cannot make such tensors itself (it checks them against the storage); a
    hostile checkpoint can still describe them.
    """

    def __init__(self, base: torch.Tensor, offset: int, size: tuple, stride: tuple):
        self.storage = torch.storage.TypedStorage(wrap_storage=base.untyped_storage(), dtype=base.dtype, _internal=True)
        self.offset, self.size, self.stride = offset, size, stride

    def __reduce_ex__(self, proto):
        return (
            torch._utils._rebuild_tensor_v2,
            (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()),
        )


def _sgd_checkpoint() -> tuple[dict, bytes]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(torch.randn(8, 6)), torch.randint(0, 4, (8,))).backward()
        opt.step()
    obj = {"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict()}
    return obj, saved(obj)


# -- what must load ----------------------------------------------------------------------------------


def test_a_model_and_sgd_momentum_optimizer_checkpoint_loads():
    obj, data = _sgd_checkpoint()
    got = load_checkpoint_bytes(data, max_bytes=len(data), max_elements=1000)
    assert got["epoch"] == 3
    assert isinstance(got["model"], collections.OrderedDict) and list(got["model"]) == list(obj["model"])
    for k, v in obj["model"].items():
        assert type(got["model"][k]) is torch.Tensor and torch.equal(got["model"][k], v)
    state = got["optimizer"]["state"]
    assert sorted(state) == [0, 1, 2, 3] and all(set(s) == {"momentum_buffer"} for s in state.values())
    for i, s in state.items():
        assert torch.equal(s["momentum_buffer"], obj["optimizer"]["state"][i]["momentum_buffer"])
    assert got["optimizer"]["param_groups"] == obj["optimizer"]["param_groups"]
    # and it is usable as such
    model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 4))
    model.load_state_dict(got["model"])
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    opt.load_state_dict(got["optimizer"])


def test_accepted_tensors_are_compact_contiguous_plain_clones():
    base, big, tied = torch.arange(12.0).reshape(3, 4), torch.arange(12.0).reshape(3, 4), torch.ones(5)
    got = load_checkpoint_bytes(
        saved(
            {
                "t": base.T,
                "row": big[1],
                "p": torch.nn.Parameter(torch.ones(2)),
                "tied": [tied, tied],
                "empty": torch.zeros(0, 3),
                "n": torch.tensor(2),
            }
        ),
        **BIG,
    )
    t = got["t"]
    assert type(t) is torch.Tensor and t.is_contiguous() and torch.equal(t, base.T)
    assert t.untyped_storage().nbytes() == 12 * 4
    assert got["row"].untyped_storage().nbytes() == 4 * 4 and torch.equal(got["row"], big[1])  # not the whole storage
    assert type(got["p"]) is torch.Tensor and not got["p"].requires_grad
    assert got["tied"][0] is got["tied"][1]  # one view referenced twice: one clone
    assert got["empty"].shape == (0, 3) and got["n"].item() == 2


# -- what is refused ----------------------------------------------------------------------------------


def test_an_expanded_stride_zero_tensor_is_refused():
    data = saved({"w": torch.zeros(1).expand(10**8)})
    assert len(data) < 4096
    with pytest.raises(CheckpointError, match=r"checkpoint\['w'\] is an expanded tensor .*stride 0 on dimension 0"):
        load_checkpoint_bytes(data, **BIG)


def test_a_partly_expanded_tensor_is_refused():
    with pytest.raises(CheckpointError, match="expanded"):
        load_checkpoint_bytes(saved({"model": {"w": torch.ones(3, 1).expand(3, 1000)}}), **BIG)


def test_a_view_larger_than_its_storage_is_refused():
    # torch refuses these itself while loading; load_checkpoint_bytes checks again after the load
    with pytest.raises(CheckpointError, match="resize storage|but its storage holds only"):
        load_checkpoint_bytes(saved({"w": _View(torch.arange(10.0), 0, (10**6,), (1,))}), **BIG)
    with pytest.raises(CheckpointError, match="resize storage|but its storage holds only"):
        load_checkpoint_bytes(saved({"w": _View(torch.arange(10.0), 8, (5,), (1,))}), **BIG)


def test_a_view_whose_elements_overlap_each_other_is_refused():
    # 4000 stored floats read as 2000 x 2000: 16 KB in the file, 16 MB once copied
    v = _View(torch.zeros(4000), 0, (2000, 2000), (1, 1))
    with pytest.raises(CheckpointError, match="may overlap each other"):
        load_checkpoint_bytes(saved({"w": v}), **BIG)


def test_views_overlapping_one_another_are_refused():
    base = torch.arange(1000.0)
    with pytest.raises(CheckpointError, match=r"overlapping views of one storage of 4000 bytes"):
        load_checkpoint_bytes(saved({"a": base, "b": base[1:], "c": base[2:]}), **BIG)
    # non-overlapping views of one storage are fine
    got = load_checkpoint_bytes(saved({"a": base[:500], "b": base[500:]}), **BIG)
    assert torch.equal(torch.cat([got["a"], got["b"]]), base)


def test_many_references_to_one_storage_through_distinct_views_are_refused():
    base = torch.zeros(10_000)
    views = [_View(base, i, (9_000,), (1,)) for i in range(100)]
    with pytest.raises(CheckpointError, match="overlapping views"):
        load_checkpoint_bytes(saved({"v": views}), **BIG)


def test_the_element_budget_is_enforced():
    data = saved({"a": torch.zeros(600), "b": torch.zeros(500, dtype=torch.uint8)})
    assert load_checkpoint_bytes(data, max_bytes=1 << 20, max_elements=1100)["a"].numel() == 600
    with pytest.raises(CheckpointError, match="1100 elements in all, more than the 1099 allowed"):
        load_checkpoint_bytes(data, max_bytes=1 << 20, max_elements=1099)


def test_the_byte_budget_is_enforced():
    data = saved({"a": torch.zeros(1000)})
    with pytest.raises(CheckpointError, match=f"is {len(data)} bytes, more than the 4000 allowed"):
        load_checkpoint_bytes(data, max_bytes=4000, max_elements=1 << 20)
    # the pickled structure (not the tensors' bytes) has its own, smaller limit: unpickling can amplify it
    with pytest.raises(
        CheckpointError, match=r"structure \('archive/data.pkl'\) is \d+ bytes, more than the 50 allowed"
    ):
        load_checkpoint_bytes(data, max_bytes=1 << 20, max_elements=1 << 20, max_pickle_bytes=50)


class Pickled:
    def __init__(self):
        self.x = 1


def test_a_non_tensor_object_is_refused_by_weights_only():
    with pytest.raises(CheckpointError, match=r"^UnpicklingError: Unsupported global: .*Pickled"):
        load_checkpoint_bytes(saved({"model": Pickled()}), **BIG)


@pytest.mark.parametrize("data", [b"", b"\0" * 100, b"PK\x03\x04" + b"\xff" * 60], ids=["empty", "zeros", "broken zip"])
def test_garbage_is_a_checkpoint_error(data):
    with pytest.raises(CheckpointError, match="zip format"):
        load_checkpoint_bytes(data, **BIG)


def test_the_legacy_format_is_refused():
    buf = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buf, _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match="zip format"):
        load_checkpoint_bytes(buf.getvalue(), **BIG)


def test_a_compressed_record_is_refused():
    # torch.load inflates deflate records: 100 MB of zeros in a ~100 KB file
    data = saved({"w": torch.zeros(25_000_000)})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(
                info.filename,
                zin.read(info.filename),
                compress_type=zipfile.ZIP_DEFLATED if "/data/" in info.filename else zipfile.ZIP_STORED,
            )
    bomb = out.getvalue()
    assert len(bomb) < 1 << 20
    with pytest.raises(CheckpointError, match="compressed"):
        load_checkpoint_bytes(bomb, **BIG)


def test_a_truncated_checkpoint_is_a_checkpoint_error():
    _, data = _sgd_checkpoint()
    for cut in (len(data) // 2, len(data) - 30):
        with pytest.raises(CheckpointError):
            load_checkpoint_bytes(data[:cut], **BIG)


def test_sparse_and_deeply_nested_values_are_refused():
    with pytest.raises(CheckpointError, match="layout torch.sparse_coo"):
        load_checkpoint_bytes(saved({"w": torch.eye(3).to_sparse()}), **BIG)
    deep: list = []
    for _ in range(40):
        deep = [deep]
    with pytest.raises(CheckpointError, match="nested more than 32 levels"):
        load_checkpoint_bytes(saved({"d": deep}), **BIG)


def test_a_shared_structure_cannot_blow_up_the_walk():
    # 30 levels of [x, x]: 2**30 paths through a 30-element structure
    v: list = []
    for _ in range(30):
        v = [v, v]
    with pytest.raises(CheckpointError, match="more than 100000 values"):
        load_checkpoint_bytes(saved({"v": v}), **BIG)


_MEMORY_PROBE = r"""
import io, json, resource, sys, torch
from checker.sandbox.safeload import CheckpointError, load_checkpoint_bytes
buf = io.BytesIO(); torch.save({"epoch": 1, "model": {"w": torch.zeros(1).expand(10**8)}, "optimizer": {}}, buf)
data = buf.getvalue()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    load_checkpoint_bytes(data, max_bytes=64 << 20, max_elements=64 << 20)
    outcome = "loaded"
except CheckpointError as e:
    outcome = str(e)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"size": len(data), "delta_kb": after - before, "outcome": outcome}))
"""


def test_refusing_an_expanded_checkpoint_keeps_the_graders_memory_low():
    # a fresh interpreter, so that max RSS is this load's and nothing else's
    p = subprocess.run([sys.executable, "-c", _MEMORY_PROBE], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert p.returncode == 0, p.stderr[-2000:]
    got = json.loads(p.stdout.strip().splitlines()[-1])
    assert got["size"] < 4096 and "expanded" in got["outcome"]
    assert got["delta_kb"] < 100 * 1024, got  # the old load + contiguous copy went from 280 MB to 1 GB
