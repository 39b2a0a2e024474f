"""A typed client over one worker session: the only grader code that names wire operations.

Every method sends one request and returns plain, decoded values (still
untrusted: the caller validates them).  Failures are the session's own
exceptions: ``StudentError`` (the submission raised) and ``WorkerGone`` (the
worker died, timed out or broke the protocol); the grading layer turns them
into item failures in one place (``checker.grading.context``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .session import WorkerGone, WorkerSession
from .wire import Handle


@dataclass
class CallResult:
    value: object
    meta: dict


class SandboxClient:
    def __init__(self, session: WorkerSession):
        self.session = session

    def _op(self, op: str, values: dict | None, timeout: float | None, during: str, **header) -> tuple[dict, dict]:
        return self.session.request({"op": op, **header}, values, timeout=timeout, during=during or op)

    # -- calling the submission's functions ------------------------------------------
    def call(
        self,
        fn: str,
        args=(),
        kwargs=None,
        *,
        seed: int = 0,
        timeout: float | None = None,
        keep: bool = False,
        return_args: bool = False,
        tripwire: list[str] | None = None,
    ) -> CallResult:
        """``fn(*args, **kwargs)`` in the worker; with ``keep`` the result stays there and a Handle comes back;
        with ``tripwire`` the worker records calls of those torch functions during the call (``meta["tripped"]``)."""
        extra = {"tripwire": list(tripwire)} if tripwire else {}
        h, v = self._op(
            "call",
            {"args": list(args), "kwargs": dict(kwargs or {})},
            timeout,
            f"{fn}()",
            fn=fn,
            seed=seed,
            keep=keep,
            return_args=return_args,
            **extra,
        )
        if return_args:
            h["args_after"] = v.get("args")
        return CallResult(v.get("result"), h)

    def map(
        self,
        fn: str,
        args,
        vary: int,
        stack,
        *,
        select: int | None = None,
        kwargs=None,
        seed: int = 0,
        timeout: float | None = None,
    ) -> list:
        """``fn`` once per row of ``stack`` put at argument ``vary`` (one round trip for a gradient check)."""
        a = list(args)
        a[vary] = None
        _, v = self._op(
            "map",
            {"args": a, "kwargs": dict(kwargs or {}), "stack": stack},
            timeout,
            f"{fn}()",
            fn=fn,
            vary=vary,
            select=select,
            seed=seed,
        )
        res = v.get("results")
        if not isinstance(res, list) or len(res) != len(stack):
            raise WorkerGone("protocol", f"{fn}()", "wrong number of results")
        return res

    # -- objects kept in the worker ------------------------------------------------------
    def put(self, values: dict, *, timeout: float | None = None) -> dict[str, Handle]:
        """Keep values (training data) in the worker; later requests refer to them by handle."""
        _, v = self._op("put", values, timeout, "put")
        handles = v.get("handles")
        if (
            not isinstance(handles, dict)
            or set(handles) != set(values)
            or not all(isinstance(h, Handle) for h in handles.values())
        ):
            raise WorkerGone("protocol", "put", "bad handles")
        return handles

    def predict(self, model: Handle, x, *, timeout: float | None = None, batch: int = 4096, mode: str = "eval"):
        """``model(x)`` under no_grad, in ``mode`` ("eval" or "train"), restoring the module's mode afterwards."""
        _, v = self._op("predict", {"model": model, "x": x}, timeout, "model(X)", batch=batch, mode=mode)
        return v.get("result")

    def state_dict(self, model: Handle, *, timeout: float | None = None):
        """The model's ``state_dict()``, as plain CPU tensors (validated by the caller)."""
        _, v = self._op("state", {"model": model}, timeout, "model.state_dict()")
        return v.get("state")

    def modules(self, model: Handle, *, timeout: float | None = None) -> dict:
        """The module tree as the worker describes it (a claim: nothing about it is checked by the grader)."""
        h, _ = self._op("modules", {"model": model}, timeout, "model.named_modules()")
        return {"modules": h.get("modules"), "unregistered_lists": h.get("unregistered_lists")}

    def load_state(self, model: Handle, state: dict, *, timeout: float | None = None) -> None:
        self._op("load_state", {"model": model, "state": dict(state)}, timeout, "model.load_state_dict(...)")

    # -- files in the sandbox's own folders (never read from the host) --------------------
    def mkdir(self, path: str, *, timeout: float | None = None) -> None:
        self._op("mkdir", {}, timeout, f"mkdir {path}", path=path)

    def listdir(self, path: str, *, timeout: float | None = None) -> list[str]:
        h, _ = self._op("listdir", {}, timeout, f"os.listdir({path})", path=path)
        names = h.get("names")
        return [str(n) for n in names if isinstance(n, str)] if isinstance(names, list) else []

    def read(self, path: str, limit: int, *, timeout: float | None = None) -> bytes:
        """The bytes of a regular file in the sandbox, at most ``limit``; raises StudentError when it is not there."""
        _, v = self._op("read", {}, timeout, f"reading {path}", path=path, limit=limit)
        data = v.get("data")
        if not isinstance(data, torch.Tensor) or data.dtype != torch.uint8 or data.dim() != 1 or data.numel() > limit:
            raise WorkerGone("protocol", f"reading {path}", "a file came back malformed")
        return data.numpy().tobytes()

    def write(self, path: str, data: bytes, *, timeout: float | None = None) -> None:
        t = torch.frombuffer(bytearray(data), dtype=torch.uint8) if data else torch.empty(0, dtype=torch.uint8)
        self._op("write", {"data": t}, timeout, f"writing {path}", path=path)
