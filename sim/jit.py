"""Compiling the mechanisms' per-agent passes with numba.

Each pass is written as a plain Python function in its mechanism's module and compiled
by a call, ``name = compiled(name)``, after its definition rather than by a decorator:
mutation testing (mutmut) leaves decorated functions alone, and run with
``NUMBA_DISABLE_JIT=1`` the very same functions execute as Python, so the compiled
mechanisms are mutated and tested like the rest of the model (``make mutate``).

``cache=True`` keeps the machine code on disk beside the module (compiled once, about
20-40 s, by ``make`` set-up); numba's defaults otherwise (no fast-math), so the compiled
passes draw from numpy's own ``Generator`` streams in the same order as Python would.
"""

from __future__ import annotations

from collections.abc import Callable

from numba import njit


def compiled[F: Callable[..., object]](function: F) -> F:
    """``function`` compiled to machine code on first call, cached on disk."""
    # numba types the result as its Dispatcher[F], which calls as F does
    return njit(cache=True)(function)  # type: ignore[return-value]
