"""Test functions for the ``model = "package.module:callable"`` hook.

``ishigami`` has known Sobol indices (Ishigami & Homma 1990; a = 7, b = 0.1):
S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437). The others exercise the
run store: a run that raises, a worker that dies, a run that takes time.
"""

from __future__ import annotations

import math
import os
import signal
import time

ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)


def ishigami(x1: float, x2: float, x3: float, seed: int = 0, a: float = 7.0, b: float = 0.1):
    """Deterministic; ``seed`` is accepted and ignored."""
    y = math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)
    return {"y": y}


def noisy_linear(x: float, z: float = 0.0, seed: int = 0, pause: float = 0.0):
    """y = 2x + z + noise(seed); ``pause`` seconds of wall time per call."""
    import numpy as np

    if pause:
        time.sleep(pause)
    noise = np.random.default_rng(seed).normal(0, 0.1)
    return {"y": 2 * x + z + noise, "noise": noise}


def fragile(x: float, seed: int = 0):
    """Raises for x > 0.75; dies (SIGKILL of its own process) for x < -0.75."""
    if x > 0.75:
        raise ValueError(f"x = {x} is too large for this model")
    if x < -0.75:
        os.kill(os.getpid(), signal.SIGKILL)
    return {"y": x}


def slow_linear(x: float, seed: int = 0):
    """``noisy_linear`` taking 50 ms of wall time: long enough to interrupt a study."""
    return noisy_linear(x, seed=seed, pause=0.05)


def sleepy(x: float) -> float:
    """Sleeps ``x`` seconds and returns ``x``: runs that finish out of input order."""
    time.sleep(x)
    return x


def corner(x: float, z: float, seed: int = 0):
    """1 in the corner x > 0.6, z > 0.55 of the unit square, else 0: at a small Sobol n
    only points that mix two base samples fall in it."""
    return {"y": float(x > 0.6 and z > 0.55)}
