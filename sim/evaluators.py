"""Where runs happen: in this process, a local pool of processes, or a Dask cluster.

One implementation serves ``spc compare`` (:func:`sim.runner.compare`), ``spc facts``,
``spc bench`` and ``spc study``. An evaluator is a context manager whose pool or
client lives for the whole ``with`` block (entering it again inside is a no-op), and
offers two ways to run ``fn`` over items:

* ``map(fn, items, progress=, desc=)``: the results in input order, with a progress
  bar; a run's exception is raised, and a worker lost is a :class:`WorkerLost` error.
  Called outside a ``with`` block it starts and ends its own pool for the call.
* ``imap(fn, items, window=)``: ``(item, result)`` pairs as runs finish, keeping only
  ``window`` runs in flight so a crash or an interrupt loses little. A worker that dies
  (a crash, the OOM killer) or that the cluster gives up on yields
  ``(item, WorkerDied(...))`` for every run in flight with it; a local pool is rebuilt
  and the caller goes on (the study retries those runs).

Every run depends only on its own item, so results are identical however they are
scheduled. Workers stop with this process however it stops (:mod:`sim.lifecycle`):
on an exception or a signal, runs not started are cancelled and the workers killed
at once instead of waiting for the runs in flight.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from . import lifecycle
from .config import ScenarioError

if TYPE_CHECKING:
    from dask.typing import Key
    from distributed import Client, LocalCluster

DASK_CONNECT_SECONDS = 5
log = logging.getLogger(__name__)


@dataclass
class WorkerDied:
    """The worker running this item died (or the cluster gave up on it)."""

    message: str


class WorkerLost(RuntimeError):
    """``map`` lost a run with its worker (``imap`` yields :class:`WorkerDied` instead)."""


class _Evaluator:
    """The shared frame: re-entrant ``with``, ``map`` and ``imap`` over ``_iter``."""

    workers = 1
    label = ""
    _depth = 0

    def _open(self) -> None:
        pass

    def _close(self, kill: bool) -> None:
        pass

    def _iter(self, fn: Callable, items: Iterable, window: int | None) -> Iterator:
        """``(index, item, result)`` as runs finish."""
        raise NotImplementedError

    def __enter__(self):
        if self._depth == 0:
            self._open()
        self._depth += 1
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._close(kill=exc_type is not None)

    def imap(self, fn: Callable, items: Iterable, window: int | None = None) -> Iterator:
        if not self._depth:  # not inside a with block: a pool for this call alone
            with self:
                yield from self.imap(fn, items, window)
            return
        for _, item, result in self._iter(fn, items, window):
            yield item, result

    def map(
        self, fn: Callable, items: Sequence, progress: bool = False, desc: str = "runs"
    ) -> list:
        results: list[Any] = [None] * len(items)
        if not items:
            return results
        with (
            self,
            tqdm(total=len(items), desc=desc, disable=not progress, unit="run", leave=False) as bar,
        ):
            for i, _, result in self._iter(fn, items, None):
                if isinstance(result, WorkerDied):
                    raise WorkerLost(result.message)
                results[i] = result
                bar.update()
        return results


class SerialEvaluator(_Evaluator):
    """Runs in this process, one after another."""

    label = "serially"

    def _iter(self, fn: Callable, items: Iterable, window: int | None) -> Iterator:
        for i, item in enumerate(items):
            yield i, item, fn(item)


class ProcessEvaluator(_Evaluator):
    """A local pool of ``workers`` processes (forkserver: the model is imported once).

    Workers start as runs are submitted, so a call with fewer runs than workers starts
    no more processes than it has runs.
    """

    def __init__(self, workers: int):
        self.workers = max(1, int(workers))
        self.label = f"on {self.workers} local worker processes"
        self._pool: ProcessPoolExecutor | None = None

    def _open(self) -> None:
        # workers ignore Ctrl-C (this process alone decides what stops, and ends them)
        # and die with this process even after its kill -9
        lifecycle.quiet_resource_tracker()
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=_context(),
            initializer=lifecycle.die_with_main,
            initargs=(os.getpid(),),
        )

    def _close(self, kill: bool) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if not kill:
            pool.shutdown(wait=True)
            return
        # not waiting for runs in flight: cancel the rest and end the workers now
        procs = list((pool._processes or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            with contextlib.suppress(Exception):
                p.kill()
        for p in procs:
            with contextlib.suppress(Exception):
                p.join(timeout=2)

    def _submit(self, fn: Callable, item) -> Future:
        pool = self._pool
        if pool is None:
            raise RuntimeError("a run submitted outside the evaluator's with block")
        try:
            with lifecycle.sigint_blocked():  # the forkserver and workers start here
                fut = pool.submit(fn, item)
        except BrokenProcessPool as exc:
            fut = Future()
            fut.set_exception(exc)
        for p in (pool._processes or {}).values():
            lifecycle.register_child(p)
        return fut

    def _iter(self, fn: Callable, items: Iterable, window: int | None) -> Iterator:
        window = window or 2 * self.workers
        pending = enumerate(items)
        inflight: dict[Future, tuple[int, Any]] = {}
        exhausted = False
        while True:
            while not exhausted and len(inflight) < window:
                nxt = next(pending, None)
                if nxt is None:
                    exhausted = True
                else:
                    inflight[self._submit(fn, nxt[1])] = nxt
            if not inflight:
                return
            done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            broken = False
            for fut in done:
                i, item = inflight.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool as exc:
                    broken = True
                    result = WorkerDied(f"worker process died ({exc})")
                yield i, item, result
            if broken:
                # every run still in flight died with the pool
                for i, item in list(inflight.values()):
                    yield i, item, WorkerDied("worker process died (pool broken)")
                inflight.clear()
                self._close(kill=True)
                self._open()


class DaskEvaluator(_Evaluator):
    """A Dask distributed cluster: the scheduler at ``address``, or a ``LocalCluster`` of
    ``workers`` single-threaded processes started for the ``with`` block."""

    def __init__(self, address: str | None = None, workers: int | None = None):
        self.address = address
        self.workers = workers or 1
        self.label = (
            f"on Dask at {address}" if address else f"on a local Dask cluster of {self.workers}"
        )
        self._client: Client | None = None
        self._cluster: LocalCluster | None = None

    def _open(self) -> None:
        from distributed import Client

        if self.address:
            try:
                self._client = Client(self.address, timeout=f"{DASK_CONNECT_SECONDS}s")
            except (OSError, TimeoutError) as exc:
                raise ScenarioError(
                    [
                        f"--dask {self.address}: no Dask scheduler answered within "
                        f"{DASK_CONNECT_SECONDS} s ({type(exc).__name__}); is it running "
                        "and reachable? (--dask alone starts a local cluster)"
                    ]
                ) from None
            self.workers = max(1, sum(self._client.nthreads().values()))
            log.warning("Dask cluster %s: %d worker threads", self.address, self.workers)
            return
        self._cluster = self._local_cluster()
        for p in mp.active_children():
            lifecycle.register_child(p)
        self._client = Client(self._cluster)

    def _local_cluster(self) -> LocalCluster:
        """Start a local cluster with SIGINT ignored only until its worker processes
        exist: they inherit the ignored SIGINT (a terminal's Ctrl-C reaches only this
        process, which closes the cluster), while a Ctrl-C after that point -- the
        workers still starting up -- is handled here as usual."""
        from distributed import LocalCluster

        box: dict[str, Any] = {}

        def build() -> None:
            try:
                box["cluster"] = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # a free port: no clash with another cluster
                    # the workers' own errors on the way down (heartbeats to a
                    # scheduler already closed by a Ctrl-C) are noise here: a run's
                    # failure reaches this process through its future
                    silence_logs=logging.CRITICAL,
                )
            except BaseException as exc:  # handed to the caller below
                box["error"] = exc

        lifecycle.quiet_resource_tracker()
        before = set(mp.active_children())
        with lifecycle.sigint_ignored():
            builder = threading.Thread(target=build, name="spc-dask-start", daemon=True)
            builder.start()
            deadline = time.monotonic() + 120
            while builder.is_alive() and time.monotonic() < deadline:
                if len(set(mp.active_children()) - before) >= self.workers:
                    break
                time.sleep(0.05)
        try:
            while builder.is_alive():  # interruptible wait for the workers to connect
                builder.join(0.2)
        except BaseException:
            for p in set(mp.active_children()) - before:
                p.kill()
            raise
        if "error" in box:
            raise box["error"]
        return box["cluster"]

    def _close(self, kill: bool) -> None:
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None:
            client.close(timeout=DASK_CONNECT_SECONDS)
        if cluster is not None:
            cluster.close(timeout=DASK_CONNECT_SECONDS)

    def _iter(self, fn: Callable, items: Iterable, window: int | None) -> Iterator:
        from distributed import KilledWorker, as_completed
        from distributed.comm.core import CommClosedError

        # the cluster lost the run (its worker died, the connection closed); any other
        # exception is the run's own and is raised, as in a local pool
        lost = (KilledWorker, CommClosedError, CancelledError)
        window = window or 4 * self.workers
        pending = enumerate(items)
        inflight: dict[Key, tuple[int, Any]] = {}
        done = as_completed()
        client = self._client
        if client is None:
            raise RuntimeError("runs submitted outside the evaluator's with block")

        def submit_more() -> None:
            while len(inflight) < window and (nxt := next(pending, None)) is not None:
                fut = client.submit(fn, nxt[1], pure=False)
                inflight[fut.key] = nxt
                done.add(fut)

        submit_more()
        for fut in done:
            i, item = inflight.pop(fut.key)
            try:
                result = fut.result()
            except lost as exc:
                result = WorkerDied(f"{type(exc).__name__}: {exc}")
            fut.release()
            yield i, item, result
            submit_more()


def _context():
    """Workers forked from a server that has already imported the model.

    Spawned workers would each pay seconds of imports; plain fork is unsafe with
    the threads that pandas, pyarrow and tqdm may have started. Where forkserver is
    unavailable (Windows, macOS default aside), spawn is used.
    """
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.runner"])
        return ctx
    return mp.get_context("spawn")


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:
        return os.cpu_count() or 1


_DASK_ADDRESS = re.compile(r"^([a-z]+://\S+|[\w.-]+:\d+)$")


def check_dask(dask: Any, option: str = "dask") -> str | None:
    """``None``, ``"local"`` or a scheduler address (``tcp://host:8786`` or ``host:8786``)."""
    if dask is None or dask == "local":
        return dask
    if not isinstance(dask, str) or not _DASK_ADDRESS.match(dask):
        raise ScenarioError(
            [
                f"{option} {dask}: not a Dask scheduler address; give tcp://host:port "
                "(or host:port), or --dask alone for a local cluster"
                if option == "--dask"
                else f"dask={dask!r}: not a Dask scheduler address; give 'tcp://host:port' "
                "or 'local'"
            ]
        )
    return dask


def make_evaluator(workers: int | None, dask: str | None = None):
    """Serial, a process pool (``workers`` > 1), or Dask (``dask`` = scheduler address,
    or "local" for a local cluster of ``workers`` processes).

    Workers beyond the CPUs available are not started (they would only compete for
    the same cores and multiply memory); a warning says so.
    """
    dask = check_dask(dask)
    if workers is not None and workers > 1 and not (dask and dask != "local"):
        cpus = usable_cpus()
        if workers > cpus:
            log.warning("workers: %d asked for, capped at %d (the CPUs available)", workers, cpus)
            workers = cpus
    if dask:
        return DaskEvaluator(None if dask == "local" else dask, workers)
    return ProcessEvaluator(workers) if workers and workers > 1 else SerialEvaluator()
