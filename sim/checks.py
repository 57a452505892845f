"""Argument checks for the Python API: the same clear errors as the command line.

Every bad value raises :class:`sim.config.ScenarioError` (a ``ValueError``) with a
one-line message naming the argument, the value and what is allowed -- never a raw
``TypeError`` from deep inside numpy or pandas.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

from .config import STRUCTURES, Scenario, ScenarioError

SEED_MAX = 2**63 - 1


def whole(name: str, value: Any, lo: int, hi: int | None = None) -> int:
    """A true whole number (Python or numpy integer; not a bool or a float) in [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ScenarioError([f"{name}={value!r}: must be a whole number{_span(lo, hi)}"])
    v = int(value)
    if v < lo or (hi is not None and v > hi):
        raise ScenarioError([f"{name}={v}: must be a whole number{_span(lo, hi)}"])
    return v


def _span(lo: int, hi: int | None) -> str:
    if hi is None:
        return f" >= {lo}"
    return f" from {lo} to {'2**63 - 1' if hi == SEED_MAX else hi}"


def seed(value: Any, name: str = "seed") -> int:
    return whole(name, value, 0, SEED_MAX)


def structure(value: Any) -> str | float:
    """``"linear"``, ``"triangular"`` or a direct share in [0, 1] (not a bool)."""
    if isinstance(value, str) and value in STRUCTURES:
        return value
    if isinstance(value, Real) and not isinstance(value, bool):
        share = float(value)
        if math.isfinite(share) and 0.0 <= share <= 1.0:
            return value if isinstance(value, float) else share
    raise ScenarioError(
        [
            f"structure={value!r}: not a structure; allowed: 'linear', 'triangular', "
            "or a direct share between 0 and 1"
        ]
    )


def scenario(value: Any, allow_none: bool = True) -> Scenario | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, Scenario):
        raise ScenarioError(
            [
                f"scenario: must be a sim.Scenario (e.g. from sim.load_scenario); "
                f"got {type(value).__name__}"
            ]
        )
    return value
