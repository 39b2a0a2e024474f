"""`check grade-batch --scheduler tcp://HOST:PORT | --cluster local:N`: a class graded on a Dask cluster.

The client (this process) plans the batch as the local batch does (``checker.batch.run.BatchRun``: the
same results file, the same key, the same resume), reads each submission's bytes once, and submits one task
per submission (``grade_task``, ``pure=False``, ``retries=1``).  Only the client writes the results file: one
line per finished future, as it finishes, so a task that ran twice (its worker died, the scheduler ran it
again elsewhere) is still written once.  A task whose workers kept dying (Dask's ``KilledWorker``) is a
checker fault, graded again by the next run.

Each Dask worker process grades with its own sandbox backend: it decides ``--backend``/``--isolation``
``auto`` once, before its first submission (its machine may differ from the client's), and starts its own warm
pool (``checker.sandbox.poold.OwnedPool``) on first use; the pool stops with the worker process, however it
ends (its lifeline).  The report of each submission says which sandbox graded it.

The data secret reaches the workers in a worker plugin (``DataSecret``), once per worker, never as a task
argument and never in a log (its repr says nothing); it stays in the grader's side of each worker and never
enters a sandbox, as in the local batch.  Use a ``tls://`` scheduler address where the network is not trusted.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..messages import Msg
from ..grading.plan import Options

SECRET_PLUGIN = "nlp100-data-secret"
POOL_PLUGIN = "nlp100-warm-pool"
POLL_S = 0.2

if TYPE_CHECKING:
    from distributed.diagnostics.plugin import WorkerPlugin as _WorkerPlugin
else:
    try:  # the base class, where Dask is installed (the client needs it anyway; a worker always has it)
        from distributed.diagnostics.plugin import WorkerPlugin as _WorkerPlugin
    except ImportError:  # pragma: no cover
        _WorkerPlugin = object


class DataSecret(_WorkerPlugin):
    """The instructor's data secret, held by each Dask worker's grader side."""

    name = SECRET_PLUGIN

    def __init__(self, secret: bytes | None):
        self._secret = secret

    def __repr__(self) -> str:
        return "DataSecret(<hidden>)"

    __str__ = __repr__

    @property
    def secret(self) -> bytes | None:
        return self._secret


class WarmPoolPlugin(_WorkerPlugin):
    """Stops the worker's warm pool when the worker closes (the lifeline also does, when it is killed)."""

    name = POOL_PLUGIN

    def teardown(self, worker) -> None:
        _stop_worker_pool()


# -- on a Dask worker ----------------------------------------------------------------------------------

_STATE: dict = {"lock": threading.Lock(), "pool": None, "pool_failed": None, "resolved": None}


def _resolved(options: Options) -> tuple[str, str]:
    """This worker's backend and isolation for ``auto``: decided once, before its first submission."""
    with _STATE["lock"]:
        if _STATE["resolved"] is None:
            from .run import resolve_isolation

            probe = Options(backend=options.backend, isolation=options.isolation, image=options.image)
            resolve_isolation(probe)
            _STATE["resolved"] = (probe.backend, probe.isolation)
        return _STATE["resolved"]


def _worker_pool(options: Options, slots: int):
    with _STATE["lock"]:
        if _STATE["pool"] is None and _STATE["pool_failed"] is None:
            from ..sandbox import pool as warm_pool, poold

            config = poold.config_for(options, slots)
            if config is None:
                _STATE["pool_failed"] = "no pool for a GPU"
            else:
                try:
                    _STATE["pool"] = poold.OwnedPool(config)
                except warm_pool.PoolUnavailable as e:
                    _STATE["pool_failed"] = str(e)
        return _STATE["pool"]


def _stop_worker_pool() -> None:
    with _STATE["lock"]:
        owned, _STATE["pool"] = _STATE["pool"], None
    if owned is not None:
        owned.stop()


def grade_task(name: str, raw: bytes, config: dict) -> dict:
    """One submission, graded on the Dask worker that runs this task (the result line's fields)."""
    from distributed import get_worker

    from .results import grade_bytes

    worker = get_worker()
    plugin = worker.plugins.get(SECRET_PLUGIN)
    options = Options(**config["options"], data_secret=getattr(plugin, "secret", None))
    options.backend, options.isolation = _resolved(options)
    if config.get("pool"):
        owned = _worker_pool(options, 2 * max(1, int(getattr(worker.state, "nthreads", 1) or 1)) + 1)
        options.pool = str(owned.socket) if owned is not None else None
    result = grade_bytes(name, raw, config.get("exercises"), options)
    result["dask_worker"] = str(worker.address)
    return result


# -- the client ------------------------------------------------------------------------------------------


def parse_cluster(spec: str) -> int:
    kind, _, n = str(spec).partition(":")
    if kind != "local" or not n.isdigit() or not 1 <= int(n) <= 64:
        raise UsageError(msg=Msg("batch_cluster_bad", {"value": spec}))
    return int(n)


def _register(client, plugin, name: str) -> None:
    if hasattr(client, "register_plugin"):
        client.register_plugin(plugin, name=name)
    else:  # pragma: no cover - older distributed
        client.register_worker_plugin(plugin, name=name)


def connect(scheduler: str | None, cluster: str | None, log):
    """A Dask client (and the LocalCluster it owns, or None)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(msg=Msg("batch_dask_missing", {})) from None
    if cluster:
        n = parse_cluster(cluster)
        import logging

        lc = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        log(f"grade-batch: Dask LocalCluster of {n} worker processes at {lc.scheduler_address}")
        return Client(lc), lc
    try:
        client = Client(scheduler, timeout=15)
    except (OSError, TimeoutError) as e:
        raise UsageError(msg=Msg("batch_scheduler_unreachable", {"address": scheduler, "error": e})) from None
    log(f"grade-batch: Dask scheduler {scheduler}, {len(client.scheduler_info().get('workers', {}))} workers")
    return client, None


def run_dask_batch(
    source: Path,
    out: Path,
    gradebook: Path,
    exercises=None,
    pattern: str = "exercise.py",
    options: Options | None = None,
    log=print,
    scheduler: str | None = None,
    cluster: str | None = None,
    pool: bool = True,
    client=None,
) -> int:
    """Grade a class on a Dask cluster; the exit status as ``run_batch``'s.  ``client``: an existing client (tests)."""
    from .files import find_submissions
    from .run import BatchRun, Interrupts, summary
    from .results import write_gradebook
    from ..grading.plan import select_exercises
    from ..spec import discover

    options = options or Options()
    if exercises:
        select_exercises(discover(options.exercises_dir), exercises, set())
    entries, problems = find_submissions(source, pattern)
    for p in problems:
        log(f"grade-batch: skipped {p}")
    run = BatchRun(out, options, exercises, log)
    owned_cluster = None
    with Interrupts(log) as stop:
        planned = run.plan(entries, stop)
        todo = [p for p in planned if run.to_grade(p)]
        log(
            f"grade-batch: {len(entries)} submissions, {len(planned) - len(todo)} already graded, {len(todo)} to grade "
            f"on Dask (options key {run.key}; each worker decides its sandbox: {options.backend}/{options.isolation})"
        )
        if todo and not stop.requested:
            own = client is None
            if own:
                client, owned_cluster = connect(scheduler, cluster, log)
            try:
                _grade_on(client, run, todo, options, exercises, pool, stop, log)
            finally:
                if own:
                    client.close()
                    if owned_cluster is not None:
                        owned_cluster.close()
        rows = run.rows(planned)
        write_gradebook(rows, gradebook)
    return summary(run, rows, stop.requested, out, gradebook, log)


def _grade_on(client, run, todo, options: Options, exercises, pool: bool, stop, log) -> None:
    from .files import read_entry
    from ..grading.source import SourceError
    from .run import child_options
    from .procs import Task

    _register(client, DataSecret(options.data_secret), SECRET_PLUGIN)
    if pool:
        _register(client, WarmPoolPlugin(), POOL_PLUGIN)
    config = {"options": {**child_options(options), "pool": None}, "exercises": exercises, "pool": pool}
    pending = {}
    for i, p in enumerate(todo):
        try:
            raw = read_entry(p.entry)
        except SourceError as err:  # it changed since the plan: refused now
            run.refuse(p, err)
            continue
        p.sha = hashlib.sha256(raw).hexdigest()
        task = Task(i, p.entry.student, info={"planned": p, "of": len(todo)}, started=time.monotonic())
        fut = client.submit(
            grade_task, p.entry.name, raw, config, key=f"nlp100-grade-{i}-{p.sha[:16]}", pure=False, retries=1
        )
        pending[fut] = task
    try:
        while pending and not stop.requested:
            done = [f for f in pending if f.done()]
            if not done:
                time.sleep(POLL_S)
                continue
            for fut in done:
                task = pending.pop(fut)
                try:
                    result = fut.result()
                except Exception as e:  # noqa: BLE001 - KilledWorker (its workers kept dying), a bug of ours
                    run.fault(task, f"Dask: {type(e).__name__}: {str(e)[:300]}")
                    continue
                if not isinstance(result, dict):
                    run.fault(task, "Dask: a task returned something that is not a result")
                    continue
                run.record(task, result)
    finally:
        if pending:
            client.cancel(list(pending))
