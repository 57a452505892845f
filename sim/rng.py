"""Independent random streams, one per mechanism.

Each mechanism draws from its own stream spawned from the run's root seed, so a
change in one mechanism's number of draws (e.g. the focal firm switching from
linear to triangular routing) does not shift the draws of the others. That keeps
paired linear/triangular runs on common random numbers as far as possible, and
makes a run depend on nothing but its seed (serial, parallel or on a cluster).
"""

from __future__ import annotations

import numpy as np

STREAMS = (
    "customers",
    "network",
    "staff",
    "visits",
    "choice",
    "assignment",
    "service",
    "feedback",
    "routing",
    "word_of_mouth",
    "engagement",
    "turnover",
    "loyalty",
    # appended last so the streams above keep their seeds; hiring draws apart from
    # quit draws keep quits paired across structures that hire differently
    "hiring",
)


def spawn_streams(seed: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {
        name: np.random.Generator(np.random.PCG64(c))
        for name, c in zip(STREAMS, children, strict=True)
    }


def replication_seeds(root_seed: int, replications: int) -> list[int]:
    """Seeds for replications 0..R-1: independent of R and of how runs are scheduled."""
    ss = np.random.SeedSequence(root_seed)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> 1) for c in ss.spawn(replications)]
