"""One evaluator interface for a whole study: serial, a local process pool, or Dask.

An evaluator is a context manager whose pool or client lives for the whole study;
``imap(fn, items)`` yields ``(item, result)`` as runs finish, keeping only a small
window of runs in flight so a crash or an interrupt loses little. A worker that dies
(a crash, the OOM killer) yields ``(item, WorkerDied(...))`` for every run that was in
flight with it; the pool is rebuilt and the study goes on. Every run depends only on
its own task, so results are identical however they are scheduled.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any


@dataclass
class WorkerDied:
    """The worker running this item died (or the cluster gave up on it)."""

    message: str


class SerialEvaluator:
    """Runs in this process, one after another."""

    workers = 1
    label = "serially"

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def imap(self, fn: Callable, items: Iterable, window: int | None = None) -> Iterator:
        for item in items:
            yield item, fn(item)


class ProcessEvaluator:
    """A local pool of ``workers`` processes (forkserver: the model is imported once)."""

    def __init__(self, workers: int):
        self.workers = max(1, int(workers))
        self.label = f"on {self.workers} local worker processes"
        self._pool: ProcessPoolExecutor | None = None

    def _start(self) -> None:
        from .. import lifecycle
        from ..runner import _context

        # Workers ignore Ctrl-C (the parent alone decides what stops, flushes the store
        # and then ends them) and die with the main process even after its kill -9.
        lifecycle.quiet_resource_tracker()
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=_context(),
            initializer=lifecycle.die_with_main,
            initargs=(os.getpid(),),
        )

    def __enter__(self):
        self._start()
        return self

    def _stop(self, kill: bool) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if kill:
            # not waiting for runs in flight: end the workers now
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                if proc.is_alive():
                    proc.terminate()
        pool.shutdown(wait=True, cancel_futures=True)

    def __exit__(self, exc_type, exc, tb) -> None:
        self._stop(kill=exc_type is not None)

    def imap(self, fn: Callable, items: Iterable, window: int | None = None) -> Iterator:
        window = window or 2 * self.workers
        pending = iter(items)
        inflight: dict[Any, Any] = {}
        exhausted = False
        while True:
            while not exhausted and len(inflight) < window:
                try:
                    item = next(pending)
                except StopIteration:
                    exhausted = True
                    break
                try:
                    inflight[self._pool.submit(fn, item)] = item
                except BrokenProcessPool:
                    inflight[_dead()] = item
            if not inflight:
                return
            done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            broken = False
            for fut in done:
                item = inflight.pop(fut)
                try:
                    yield item, fut.result()
                except BrokenProcessPool as exc:
                    broken = True
                    yield item, WorkerDied(f"worker process died ({exc})")
            if broken:
                # every run still in flight died with the pool
                for item in list(inflight.values()):
                    yield item, WorkerDied("worker process died (pool broken)")
                inflight.clear()
                self._stop(kill=True)
                self._start()


def _dead():
    from concurrent.futures import Future

    f = Future()
    f.set_exception(BrokenProcessPool("pool broken"))
    return f


class DaskEvaluator:
    """A Dask distributed cluster: the scheduler at ``address``, or a ``LocalCluster`` of
    ``workers`` single-threaded processes started for the study."""

    def __init__(self, address: str | None = None, workers: int | None = None):
        self.address = address
        self.workers = workers or os.cpu_count() or 1
        self.label = (
            f"on Dask at {address}" if address else f"on a local Dask cluster of {self.workers}"
        )
        self._client = None
        self._cluster = None

    def __enter__(self):
        from distributed import Client, LocalCluster

        if self.address:
            self._client = Client(self.address)
            self.workers = max(1, sum(self._client.nthreads().values()))
        else:
            self._cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self._client = Client(self._cluster)
        return self

    def __exit__(self, *exc) -> None:
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def imap(self, fn: Callable, items: Iterable, window: int | None = None) -> Iterator:
        from distributed import as_completed

        window = window or 4 * self.workers
        pending = iter(items)
        inflight: dict[str, Any] = {}
        queue: deque = deque()

        def submit_more(ac=None):
            while len(inflight) < window:
                try:
                    item = next(pending)
                except StopIteration:
                    return
                fut = self._client.submit(fn, item, pure=False)
                inflight[fut.key] = item
                queue.append(fut)
                if ac is not None:
                    ac.add(fut)

        submit_more()
        if not inflight:
            return
        ac = as_completed(list(queue))
        for fut in ac:
            item = inflight.pop(fut.key)
            try:
                result = fut.result()
            except Exception as exc:  # KilledWorker and the like: the cluster lost it
                result = WorkerDied(f"{type(exc).__name__}: {exc}")
            fut.release()
            yield item, result
            submit_more(ac)


def make_evaluator(workers: int | None = None, dask: str | None = None):
    """Serial (``workers`` <= 1), a process pool, or Dask (``dask`` = address or "local")."""
    if dask:
        return DaskEvaluator(None if dask == "local" else dask, workers)
    if workers and workers > 1:
        return ProcessEvaluator(workers)
    return SerialEvaluator()
