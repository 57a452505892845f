"""Stopping cleanly: signals in the main process, workers that die with it.

A run can be stopped three ways, and none may leave a process behind:

* SIGINT (Ctrl-C; a terminal sends it to the whole foreground process group),
  SIGTERM or SIGHUP reach the main process: :func:`install_signal_handlers` turns
  them into :class:`Interrupted`, the evaluators end their workers on the way out
  (``finally``), and ``spc`` prints one line and exits with 128 + the signal number
  (130 for SIGINT, 143 for SIGTERM). Should tearing down take longer than
  :data:`TEARDOWN_SECONDS`, the known child processes are killed and the process
  exits anyway.
* The worker processes of a pool ignore SIGINT and sit in their own process group,
  so a terminal's Ctrl-C reaches only the main process, which ends them in order
  (no tracebacks from half-stopped workers).
* ``kill -9`` of the main process runs no handler at all. Each worker therefore
  watches the main process itself (:func:`die_with_main`): on Linux it asks the
  kernel for a signal when its parent dies (``PR_SET_PDEATHSIG``) and waits on a
  pidfd of the main process in a daemon thread (elsewhere it polls the pid); when
  the main process is gone it exits at once. With the workers gone the
  forkserver and the resource tracker see their pipes close and exit too.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
import weakref
from collections.abc import Iterator

TEARDOWN_SECONDS = 5.0
_HANDLED = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}
if hasattr(signal, "SIGHUP"):
    _HANDLED[signal.SIGHUP] = "hung up"

# processes this process started and must end on the way out (pool workers, Dask
# worker processes); weak so a finished pool's processes are forgotten
_children: weakref.WeakSet = weakref.WeakSet()
_saved: dict = {}
_timer: list[threading.Timer] = []


class Interrupted(KeyboardInterrupt):
    """A stop request by signal; ``exit_status`` is 128 + the signal number."""

    def __init__(self, signum: int, said: bool = False):
        self.signum = signum
        self.exit_status = 128 + signum
        # the command has already told the user what it stopped (and how to resume)
        self.said = said
        name = signal.Signals(signum).name
        super().__init__(f"{_HANDLED.get(signal.Signals(signum), 'stopped')} ({name})")


def register_child(process) -> None:
    """Remember a ``multiprocessing.Process`` to be killed if teardown stalls."""
    with contextlib.suppress(TypeError):
        _children.add(process)


def kill_children() -> None:
    for p in list(_children):
        with contextlib.suppress(Exception):
            if p.is_alive():
                p.kill()


def _hard_exit(status: int) -> None:
    """Last resort when teardown stalls: kill what we started, exit without cleanup."""
    kill_children()
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    os._exit(status)


def exit_now(status: int) -> None:
    """Exit at once after a signal, once the evaluators have ended their workers:
    output files are already whole or absent, so there is nothing left worth the
    seconds that libraries' exit hooks (closing a Dask cluster) can take."""
    _hard_exit(status)


def _handler(signum, frame):
    # later signals during teardown are ignored: the watchdog below guarantees the exit
    for sig in _HANDLED:
        signal.signal(sig, signal.SIG_IGN)
    exc = Interrupted(signum)
    timer = threading.Timer(TEARDOWN_SECONDS, _hard_exit, args=(exc.exit_status,))
    timer.daemon = True
    timer.start()
    _timer.append(timer)
    raise exc


def install_signal_handlers() -> None:
    """SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in _HANDLED:
        # nohup's ignored SIGHUP stays ignored; SIGINT is handled even when a
        # non-interactive shell started us in the background with it ignored,
        # so that `kill -INT` stops a run as Ctrl-C does
        old = signal.getsignal(sig)
        if not (sig == getattr(signal, "SIGHUP", None) and old is signal.SIG_IGN):
            _saved[sig] = old
            signal.signal(sig, _handler)


def restore_signal_handlers(keep_timer: bool = False) -> None:
    """Undo :func:`install_signal_handlers`; unless ``keep_timer``, also disarm the
    forced exit (after a signal it stays armed so a slow interpreter exit -- library
    clean-up at exit -- cannot hold the process past :data:`TEARDOWN_SECONDS`)."""
    while _timer and not keep_timer:
        _timer.pop().cancel()
    if threading.current_thread() is threading.main_thread():
        for sig, old in _saved.items():
            signal.signal(sig, old)
    _saved.clear()


@contextlib.contextmanager
def sigint_blocked() -> Iterator[None]:
    """Hold SIGINT back while child processes are started.

    A process inherits the signal mask through fork and exec, so the forkserver and
    the workers start with SIGINT blocked and never see a terminal's Ctrl-C; a
    SIGINT that arrives meanwhile is delivered to this process on leaving.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while a library starts child processes from its own threads.

    An ignored signal stays ignored across exec, so children started meanwhile (a
    local Dask cluster's workers) never see a terminal's Ctrl-C; this process ends
    them instead. The price: a Ctrl-C in the few seconds the cluster takes to start
    is lost (press it again); SIGTERM still works throughout.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker without its leak warnings.

    When a run is stopped its workers are killed on purpose; the tracker then frees
    their semaphores (its job) but also prints a warning per run about "leaked"
    objects. The tracker reads warning filters from its environment when it starts.
    """
    from multiprocessing import resource_tracker

    if getattr(resource_tracker._resource_tracker, "_pid", None) is not None:
        return  # already running
    old = os.environ.get("PYTHONWARNINGS")
    quiet = "ignore::UserWarning:multiprocessing.resource_tracker"
    os.environ["PYTHONWARNINGS"] = f"{old},{quiet}" if old else quiet
    try:
        resource_tracker.ensure_running()
    except Exception:  # no tracker (an unusual platform): nothing to quieten
        pass
    finally:
        if old is None:
            os.environ.pop("PYTHONWARNINGS", None)
        else:
            os.environ["PYTHONWARNINGS"] = old


# ------------------------------------------------------------------ worker side
_PR_SET_PDEATHSIG = 1


def _parent_death_signal(sig: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch(main_pid: int, parent_pid: int) -> None:
    """Exit this process as soon as the main process (or our parent) is gone."""
    pidfd = None
    with contextlib.suppress(Exception):
        pidfd = os.pidfd_open(main_pid)
    if pidfd is not None:
        import select

        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        while not poller.poll(1000):
            if os.getppid() != parent_pid:
                break
    else:
        while _pid_alive(main_pid) and os.getppid() == parent_pid:
            time.sleep(0.5)
    os._exit(1)


def die_with_main(main_pid: int) -> None:
    """Run in a worker process as it starts: stop when the main process stops.

    Ignores SIGINT (the main process ends the workers), leaves the terminal's
    process group, asks for SIGKILL when the parent dies, and starts the watchdog.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    with contextlib.suppress(OSError, AttributeError):
        os.setpgid(0, 0)
    _parent_death_signal(signal.SIGKILL)
    parent = os.getppid()
    if not _pid_alive(main_pid):
        os._exit(1)
    threading.Thread(target=_watch, args=(main_pid, parent), daemon=True).start()
