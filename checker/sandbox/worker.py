"""The sandboxed worker: the only process that imports student code.

Run as ``python -I worker.py --in FD --out FD`` inside the sandbox.  It
imports torch (the slow part, separable from loading a submission so a warm
pool could reuse it), says ``ready``, then serves requests read from the
``--in`` pipe and answers on the ``--out`` pipe, one frame each (see
``wire.py``).  The student's stdout and stderr are the process's own fd 1
and 2, which the grader captures and cuts; nothing printed there is read as
a result.

Everything this process sends is untrusted by the grader: it is validated
there before any comparison.  This file therefore only needs to be correct
for honest submissions; it needs no defence against the code it hosts.

Requests (header ``op``):
  load     {path, limits, allowed}           import the submission
  call     {fn, seed, keep}  values args/kwargs   call a function
  map      {fn, vary, select, seed}  values args/kwargs/stack   call once per row of stack
  predict  values model, x                   model(x) in eval mode, no grad
  modules  values model                      the module tree and parameters
  load_state values model, state             model.load_state_dict(state)
  put      values {name: value}              keep values (training data), answer handles
  cuda                                       is a CUDA device available in the sandbox?
  mkdir / listdir / read / write {path}      files in the sandbox's folders (the grader never reads them from the host)
  exit
"""

from __future__ import annotations

import os
import sys
import time
import types

_T0 = time.perf_counter()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402  (this folder only: the worker runs outside the checker package)

if __name__ == "__main__" and "--confine" in sys.argv:  # reduced isolation: Landlock before torch starts any thread
    import landlock  # noqa: E402

    landlock.restrict_from(sys.argv[sys.argv.index("--confine") + 1])
sys.path.pop(0)

import torch  # noqa: E402

MAX_TEXT = 4000
_SELF = os.path.abspath(__file__)  # this file's frames (the import hooks below) are nobody's imports
# top-level modules that a warm pool's parent (forkserver.py) imported beyond what a fresh worker has at this
# point: the submission's own imports of them fail as in a fresh worker (libraries still import them)
PRELOADED: set[str] = set()


class ImportGuard:
    """Refuses imports of modules the grader does not offer, when the student's code asks."""

    def __init__(self, allowed: set[str], library_dirs: list[str]):
        self.allowed = allowed
        self.library_dirs = tuple(d.rstrip("/") + "/" for d in library_dirs)

    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in self.allowed or top in sys.stdlib_module_names:
            return None
        f = sys._getframe(1)
        while f is not None and (
            "importlib" in f.f_code.co_filename
            or f.f_code.co_filename.startswith("<frozen")
            or f.f_code.co_filename == _SELF
        ):
            f = f.f_back
        if f is not None and f.f_code.co_filename.startswith(self.library_dirs):
            return None  # a library importing its own dependencies
        raise ModuleNotFoundError(f"[nlp100-checker] module {top!r} is not available in the grader", name=top)

    def hide_preloaded(self, names: set[str]) -> None:
        """``import x`` and ``importlib.import_module("x")`` of a module that is loaded only because a warm pool
        preloaded it: refused to the submission as a fresh worker would refuse it (it would not be there)."""
        import builtins
        import importlib

        hidden = {n for n in names if n not in self.allowed and n not in sys.stdlib_module_names}
        if not hidden:
            return
        real_import, real_import_module = builtins.__import__, importlib.import_module
        dirs = self.library_dirs

        def check(name, frame):
            top = name.partition(".")[0]
            if top not in hidden:
                return
            while frame is not None and (
                "importlib" in frame.f_code.co_filename
                or frame.f_code.co_filename.startswith("<frozen")
                or frame.f_code.co_filename == _SELF
            ):
                frame = frame.f_back
            if frame is None or not frame.f_code.co_filename.startswith(dirs):
                raise ModuleNotFoundError(f"[nlp100-checker] module {top!r} is not available in the grader", name=top)

        def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
            if level == 0:
                check(name, sys._getframe(1))
            return real_import(name, globals, locals, fromlist, level)

        def guarded_import_module(name, package=None):
            if not name.startswith("."):
                check(name, sys._getframe(1))
            return real_import_module(name, package)

        builtins.__import__ = guarded_import
        importlib.import_module = guarded_import_module


def _apply_limits(limits: dict) -> None:
    import resource

    def setl(res, soft, hard=None):
        if soft is None:
            return
        hard = soft if hard is None else hard
        cur_soft, cur_hard = resource.getrlimit(res)
        if cur_hard != resource.RLIM_INFINITY:
            hard = min(hard, cur_hard)
            soft = min(soft, hard)
        resource.setrlimit(res, (soft, hard))

    setl(resource.RLIMIT_CORE, 0)
    mem = limits.get("memory_bytes")
    if mem:
        setl(resource.RLIMIT_AS, int(mem))
    cpu = limits.get("cpu_s")
    if cpu:
        setl(resource.RLIMIT_CPU, int(cpu), int(cpu) + 5)
    fsize = limits.get("fsize_bytes")
    if fsize:
        setl(resource.RLIMIT_FSIZE, int(fsize))
    nofile = limits.get("nofile")
    if nofile:
        setl(resource.RLIMIT_NOFILE, int(nofile))
    nproc = limits.get("nproc")
    if nproc:
        setl(resource.RLIMIT_NPROC, int(nproc))


class Tripwire:
    """Records calls of forbidden torch functions while a hand-written function runs (a TorchFunctionMode).

    What it reports is the worker's claim like everything else; the grader's static rule is the first
    layer, and disarming this one needs code that rule rejects."""

    def __init__(self, names: list[str]) -> None:
        from torch.overrides import TorchFunctionMode, resolve_name

        wanted = {str(n) for n in names}
        seen: set[str] = set()

        def name_of(func: object) -> str:
            name: str | None = None
            try:
                name = resolve_name(func)
            except Exception:  # noqa: BLE001
                pass
            if not name:
                name = f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', getattr(func, '__name__', '?'))}"
            return "Tensor." + name[len("torch.Tensor.") :] if name.startswith("torch.Tensor.") else name

        class Mode(TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                n = name_of(func)
                if n in wanted:
                    seen.add(n)
                return func(*args, **(kwargs or {}))

        self.mode = Mode()
        self.seen = seen


def _safe_str(obj) -> str:
    try:
        s = str(obj)
    except BaseException:  # noqa: BLE001 - a hostile __str__
        s = "<unprintable>"
    return s[:MAX_TEXT]


class Worker:
    def __init__(self, fd_in: int, fd_out: int):
        self.fd_in = fd_in
        self.fd_out = fd_out
        self.module: types.ModuleType | None = None
        self.path: str | None = None
        self.objects: dict[int, object] = {}
        # library folders of this interpreter, added to those the grader sends with ``load`` (serve_fds)
        self.own_library_dirs: list[str] = []

    # -- plumbing -------------------------------------------------------
    def keep(self, obj) -> int:
        n = len(self.objects) + 1
        self.objects[n] = obj
        return n

    def send(self, header: dict, values: dict | None = None) -> None:
        try:
            frame = wire.encode_frame(header, values, keep=self.keep)
        except BaseException as e:  # noqa: BLE001 - an object that breaks encoding
            frame = wire.encode_frame(
                {
                    "id": header.get("id"),
                    "ok": False,
                    "error": {"type": "EncodeError", "message": _safe_str(e), "where": "result"},
                }
            )
        wire.write_frame(self.fd_out, frame)

    def resolve(self, v):
        if isinstance(v, wire.Handle):
            if v.id not in self.objects:
                raise KeyError(f"unknown handle {v.id}")
            return self.objects[v.id]
        if isinstance(v, list):
            return [self.resolve(x) for x in v]
        if isinstance(v, tuple):
            return tuple(self.resolve(x) for x in v)
        if isinstance(v, dict):
            return {k: self.resolve(x) for k, x in v.items()}
        return v

    def error(self, e: BaseException, where: str) -> dict:
        import traceback

        frames: list[dict[str, object]] = []
        try:
            for fs in traceback.extract_tb(e.__traceback__):
                if self.path and os.path.abspath(fs.filename) == self.path:
                    frames.append({"line": fs.lineno, "function": fs.name, "code": (fs.line or "")[:200]})
        except BaseException:  # noqa: BLE001
            pass
        err = {"type": type(e).__name__[:100], "message": _safe_str(e), "where": where, "frames": frames[-8:]}
        if isinstance(e, SystemExit):
            err["message"] = _safe_str(e.code)
        if isinstance(e, ModuleNotFoundError) and _safe_str(e).startswith("[nlp100-checker]"):
            err["type"] = "ModuleNotAvailable"
            err["module"] = str(getattr(e, "name", ""))[:100]
        return err

    @staticmethod
    def seed(n) -> None:
        import random

        random.seed(n)
        torch.manual_seed(n)
        try:
            import numpy

            numpy.random.seed(n % (2**32))
        except Exception:  # noqa: BLE001
            pass

    # -- operations -----------------------------------------------------
    def op_load(self, h, v):
        import importlib.util

        self.path = path = os.path.abspath(h["path"])
        _apply_limits(h.get("limits") or {})
        guard = ImportGuard(set(h.get("allowed") or []), list(h.get("library_dirs") or []) + self.own_library_dirs)
        sys.meta_path.insert(0, guard)
        guard.hide_preloaded(PRELOADED)
        self.seed(int(h.get("seed", 0)))
        spec = importlib.util.spec_from_file_location("submission", self.path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["submission"] = module
        meta = {}
        if h.get("cells"):
            meta["cell_errors"] = self._run_cells(module, path, h["cells"], float(h.get("cell_budget_s", 3.0)))
        else:
            spec.loader.exec_module(module)
        self.module = module
        names = sorted(k for k, x in vars(module).items() if callable(x) and not k.startswith("__"))
        return {"functions": names, **meta}, None

    def _run_cells(
        self, module: types.ModuleType, path: str, cells: list[list[int]], budget: float
    ) -> list[dict[str, object]]:
        """A notebook, cell by cell as Jupyter's "run all" would, but going on after a cell fails or runs too long
        (a cell that loads the student's data files or trains at the top level is not needed for grading).
        Each cell is compiled with its lines where they are in the file, so tracebacks point into the notebook."""
        import ast
        import signal

        class CellTimeout(BaseException):
            pass

        def alarm(signum, frame):
            raise CellTimeout()

        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines(keepends=True)
        errors: list[dict[str, object]] = []
        previous = signal.signal(signal.SIGALRM, alarm)
        try:
            for cell, start, end in cells:
                try:
                    tree = ast.parse("".join(lines[int(start) - 1 : int(end)]), path)
                    ast.increment_lineno(tree, int(start) - 1)
                    code = compile(tree, path, "exec")
                    signal.setitimer(signal.ITIMER_REAL, budget)
                    try:
                        exec(code, module.__dict__)  # noqa: S102 - the sandboxed submission, as an import would
                    finally:
                        signal.setitimer(signal.ITIMER_REAL, 0)
                except CellTimeout:
                    errors.append({"cell": int(cell), "type": "timeout", "message": f"{budget:g}", "line": int(start)})
                except BaseException as e:  # noqa: BLE001 - a failing cell is reported; the others still run
                    err = self.error(e, "load")
                    line = err["frames"][-1]["line"] if err.get("frames") else int(start)
                    errors.append(
                        {"cell": int(cell), "type": err["type"], "message": err["message"][:300], "line": line}
                    )
        finally:
            signal.signal(signal.SIGALRM, previous)
        return errors[:50]

    def _fn(self, name):
        if self.module is None:
            raise RuntimeError("no submission loaded")
        fn = getattr(self.module, name, None)
        if not callable(fn):
            raise AttributeError(f"the submission defines no function {name!r}")
        return fn

    def op_call(self, h, v):
        fn = self._fn(h["fn"])
        args = self.resolve(v.get("args", []))
        kwargs = self.resolve(v.get("kwargs", {}))
        self.seed(int(h.get("seed", 0)))
        trip = Tripwire(h["tripwire"]) if h.get("tripwire") else None
        t0 = time.perf_counter()
        c0 = time.process_time()
        if trip is not None:
            with trip.mode:
                out = fn(*args, **kwargs)
        else:
            out = fn(*args, **kwargs)
        meta = {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}
        if trip is not None:
            meta["tripped"] = sorted(trip.seen)
        if h.get("keep"):
            return meta, {"result": wire.Handle(self.keep(out))}
        if h.get("return_args"):
            return meta, {"result": out, "args": tuple(args)}
        return meta, {"result": out}

    def op_map(self, h, v):
        fn = self._fn(h["fn"])
        args = list(self.resolve(v.get("args", [])))
        kwargs = self.resolve(v.get("kwargs", {}))
        stack = v["stack"]
        vary = int(h["vary"])
        select = h.get("select")
        self.seed(int(h.get("seed", 0)))
        outs = []
        for row in stack:
            args[vary] = row.clone()
            out = fn(*args, **kwargs)
            if select is not None and isinstance(out, tuple):
                out = out[int(select)]
            outs.append(out)
        return {}, {"results": outs}

    def op_predict(self, h, v):
        model = self.resolve(v["model"])
        x = self.resolve(v["x"])
        batch = int(h.get("batch", 4096))
        was_training = bool(getattr(model, "training", False))
        model.train(h.get("mode") == "train")
        try:
            try:
                dev = next(model.parameters()).device
            except StopIteration:
                dev = torch.device("cpu")
            outs = []
            with torch.no_grad():
                for i in range(0, x.shape[0], batch):
                    outs.append(model(x[i : i + batch].to(dev)).detach().cpu())
        finally:
            model.train(was_training)
        return {}, {"result": torch.cat(outs) if outs else x.new_zeros((0,))}

    def op_modules(self, h, v):
        model = self.resolve(v["model"])
        mods = []
        for name, m in model.named_modules():
            t = type(m)
            mods.append(
                {
                    "name": name,
                    "type": f"{t.__module__}.{t.__qualname__}",
                    "params": [[pn, list(p.shape), str(p.device)] for pn, p in m.named_parameters(recurse=False)],
                }
            )
        attrs = []
        for k, x in vars(model).items():
            if isinstance(x, (list, tuple)) and any(isinstance(e, torch.nn.Module) for e in x):
                attrs.append(k)
        return {"modules": mods, "unregistered_lists": attrs}, None

    def op_state(self, h, v):
        model = self.resolve(v["model"])
        return {}, {"state": {k: t.detach().cpu().clone() for k, t in model.state_dict().items()}}

    def op_put(self, h, v):
        """Keep values (the training data) in the worker; later requests refer to them by handle."""
        return {}, {"handles": {k: wire.Handle(self.keep(x)) for k, x in v.items()}}

    # files in the sandbox's own folders: the grader reads and writes them only through the pipe
    def op_mkdir(self, h, v):
        os.makedirs(h["path"], exist_ok=True)
        return {}, None

    def op_listdir(self, h, v):
        return {"names": sorted(os.listdir(h["path"]))[:1000]}, None

    def op_read(self, h, v):
        import stat

        path, limit = h["path"], int(h["limit"])
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            raise FileNotFoundError(f"{path} is not a regular file")
        if st.st_size > limit:
            raise ValueError(f"{path} is larger than {limit} bytes")
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
        t = torch.frombuffer(bytearray(data), dtype=torch.uint8) if data else torch.empty(0, dtype=torch.uint8)
        return {"size": len(data)}, {"data": t}

    def op_write(self, h, v):
        with open(h["path"], "wb") as fh:
            fh.write(v["data"].numpy().tobytes())
        return {}, None

    def op_cuda(self, h, v):
        ok = torch.cuda.is_available()
        return {"cuda": bool(ok), "devices": torch.cuda.device_count() if ok else 0}, None

    def op_load_state(self, h, v):
        model = self.resolve(v["model"])
        model.load_state_dict(v["state"])
        return {}, None

    def serve(self, ready: dict | None = None) -> None:
        """``ready``: more fields for the ready frame (a pooled child: the nonce of its launch, its own start time)."""
        self.send(
            {
                "op": "ready",
                "ok": True,
                "pid": os.getpid(),
                "torch": torch.__version__,
                "startup_s": time.perf_counter() - _T0,
                "threads": torch.get_num_threads(),
                **(ready or {}),
            }
        )
        ops = {
            "load": self.op_load,
            "call": self.op_call,
            "map": self.op_map,
            "predict": self.op_predict,
            "modules": self.op_modules,
            "state": self.op_state,
            "load_state": self.op_load_state,
            "put": self.op_put,
            "cuda": self.op_cuda,
            "mkdir": self.op_mkdir,
            "listdir": self.op_listdir,
            "read": self.op_read,
            "write": self.op_write,
        }
        while True:
            try:
                h, v = wire.read_frame_blocking(self.fd_in)
            except EOFError:
                return
            rid = h.get("id")
            op = h.get("op")
            if op == "exit":
                return
            handler = ops.get(op)
            if handler is None:
                self.send(
                    {
                        "id": rid,
                        "ok": False,
                        "error": {"type": "ProtocolError", "message": f"unknown op {op!r}", "where": "worker"},
                    }
                )
                continue
            try:
                meta, values = handler(h, v)
            except BaseException as e:  # noqa: BLE001 - student code may raise anything, SystemExit included
                self.send({"id": rid, "ok": False, "error": self.error(e, op)})
                _flush()
                continue
            self.send({"id": rid, "ok": True, **(meta or {})}, values)
            _flush()


def _flush(c_stdio: bool = False) -> None:
    """Push out what the submission printed (Python's buffers, and with ``c_stdio`` C's) before the grader reads it."""
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:  # sys.__stdout__ and sys.__stderr__ can be None
                stream.flush()
        except BaseException:  # noqa: BLE001 - a replaced or closed stream
            pass
    if c_stdio:
        try:
            import ctypes

            ctypes.CDLL(None).fflush(None)
        except BaseException:  # noqa: BLE001
            pass


def main(argv: list[str]) -> None:
    if "--in-path" in argv:
        # FIFOs (the docker backend): the grader already holds its ends, so neither open blocks
        fd_out = os.open(argv[argv.index("--out-path") + 1], os.O_WRONLY)
        fd_in = os.open(argv[argv.index("--in-path") + 1], os.O_RDONLY)
    else:
        fd_in = int(argv[argv.index("--in") + 1])
        fd_out = int(argv[argv.index("--out") + 1])
    threads = int(os.environ.get("NLP100_THREADS", "1"))
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    serve_fds(fd_in, fd_out)


def serve_fds(fd_in: int, fd_out: int, ready: dict | None = None) -> None:
    """Serve the grader on these pipes until it says ``exit`` (a fresh worker, or a child of the warm pool's
    parent, ``forkserver.py``); never returns."""
    os.set_inheritable(fd_in, False)
    os.set_inheritable(fd_out, False)
    worker = Worker(fd_in, fd_out)
    # The grader sends its own interpreter's library folders; in a container this
    # interpreter's differ, and its libraries must still import their dependencies.
    import sysconfig

    own = {sys.prefix, sys.base_prefix, *(sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib"))}
    worker.own_library_dirs = sorted(own | {os.path.realpath(d) for d in own})
    try:
        worker.serve(ready)
    finally:
        _flush(c_stdio=True)
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
