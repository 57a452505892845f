"""Compiling the mechanisms' per-agent passes with numba.

Each pass is written as a plain Python function in its mechanism's module and compiled
by a call, ``name = compiled(name)``, after its definition rather than by a decorator:
mutation testing (mutmut) leaves decorated functions alone, and run with
``NUMBA_DISABLE_JIT=1`` the very same functions execute as Python, so the compiled
mechanisms are mutated and tested like the rest of the model (``make mutate``).

``cache=True`` keeps the machine code on disk beside the module (compiled once, about
20-40 s, by ``make`` set-up); numba's defaults otherwise (no fast-math), so the compiled
passes draw from numpy's own ``Generator`` streams in the same order as Python would.

The compiled day (``sim.model.day``) calls the phases of several modules, and numba
links a callee's code into its caller's cached machine code while checking only the
caller's own source file for changes. So the cached code of every compiled function
here is stamped with the sources of all the modules that hold compiled code: a change
to any mechanism recompiles them all, and nothing stale is ever run.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path

from numba import njit
from numba.core import caching

_PACKAGE = Path(__file__).resolve().parent


@functools.cache
def _package_stamp() -> str:
    """Digest of the package's modules that hold compiled code (and the state's named
    tuples that compiled code reads)."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.glob("*.py")):
        text = path.read_bytes()
        if b"compiled(" in text or path.name == "state.py":
            digest.update(path.name.encode() + b"\0" + text)
    return digest.hexdigest()


class _PackageStamped:
    """A numba cache locator for this package whose source stamp covers every module
    with compiled code, not only the function's own file."""

    def get_source_stamp(self):
        return _package_stamp()

    @classmethod
    def from_function(cls, py_func, py_file):
        if Path(py_file).resolve().parent != _PACKAGE:
            return None
        return super().from_function(py_func, py_file)


class _UserProvided(_PackageStamped, caching.UserProvidedCacheLocator):
    pass


class _InTree(_PackageStamped, caching.InTreeCacheLocator):
    pass


class _UserWide(_PackageStamped, caching.UserWideCacheLocator):
    pass


caching.CacheImpl._locator_classes[:0] = [_UserProvided, _InTree, _UserWide]


def compiled[F: Callable[..., object]](function: F) -> F:
    """``function`` compiled to machine code on first call, cached on disk."""
    # numba types the result as its Dispatcher[F], which calls as F does
    return njit(cache=True)(function)  # type: ignore[return-value]
