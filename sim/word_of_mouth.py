"""Word of mouth over a small-world social graph (Goldenberg, Libai & Muller 2001).

The graph is a Watts-Strogatz small world (1998) held in compressed sparse row
form (``indptr``, ``indices``) so that spreading costs time in proportion to the
messages sent, never to the square of the market. ``to_networkx`` gives the same
graph as a networkx object for inspection and analysis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

if TYPE_CHECKING:
    from .model import ServiceProfitChainModel
    from .state import Today


def small_world(n: int, degree: int, rewiring: float, rng: np.random.Generator):
    """Undirected Watts-Strogatz graph as CSR arrays (indptr int64, indices int32).

    Ring lattice with ``degree // 2`` neighbours on each side; each lattice edge's
    far end is rewired with probability ``rewiring`` to a uniform random node.
    Self-loops and duplicate edges produced by rewiring are dropped.
    """
    half = min(degree // 2, (n - 1) // 2)
    if half <= 0:
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32)
    src = np.repeat(np.arange(n, dtype=np.int64), half)
    dst = (src + np.tile(np.arange(1, half + 1, dtype=np.int64), n)) % n
    rewire = rng.random(src.size) < rewiring
    dst[rewire] = rng.integers(0, n, size=int(rewire.sum()))
    keep = src != dst
    a, b = np.minimum(src[keep], dst[keep]), np.maximum(src[keep], dst[keep])
    key = np.unique(a * n + b)
    a, b = key // n, key % n
    both_src = np.concatenate([a, b])
    both_dst = np.concatenate([b, a]).astype(np.int32)
    order = np.argsort(both_src, kind="stable")
    indices = both_dst[order]
    counts = np.bincount(both_src, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, indices


def to_networkx(indptr: np.ndarray, indices: np.ndarray) -> nx.Graph:
    g = nx.Graph()
    n = indptr.size - 1
    g.add_nodes_from(range(n))
    src = np.repeat(np.arange(n), np.diff(indptr))
    g.add_edges_from(zip(src.tolist(), indices.tolist(), strict=True))
    return g


def neighbours_of(indptr: np.ndarray, indices: np.ndarray, talkers: np.ndarray):
    """Flattened neighbour lists of ``talkers`` and, per entry, the talker's position."""
    starts = indptr[talkers]
    counts = indptr[talkers + 1] - starts
    owner = np.repeat(np.arange(talkers.size), counts)
    offset = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return indices[np.repeat(starts, counts) + offset], owner


def spread(
    attitude: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    talkers: np.ndarray,
    firm: np.ndarray,
    message: np.ndarray,
) -> int:
    """Each talker shifts every contact's attitude to ``firm`` by ``message``; returns messages."""
    if talkers.size == 0:
        return 0
    listeners, owner = neighbours_of(indptr, indices, talkers)
    if listeners.size == 0:
        return 0
    cell = (firm[owner], listeners)  # attitude is firm-major (K, N)
    np.add.at(attitude, cell, message[owner])
    attitude[cell] = np.clip(attitude[cell], 0.0, 1.0)
    return int(listeners.size)


def talk(m: ServiceProfitChainModel, t: Today) -> None:
    """Phase 5 of the day: surprised customers talk to their contacts, promoters refer."""
    wm = m.config.word_of_mouth
    r_wm = m.streams["word_of_mouth"]
    surprise, promoter = t.surprise, t.promoter
    n = surprise.size
    loud = np.abs(surprise) > wm.threshold
    talks = loud & (r_wm.random(n) < wm.talk_probability)
    refer = promoter & ~talks & (r_wm.random(n) < wm.referral_probability)
    talkers = np.flatnonzero(talks | refer)
    message = np.where(surprise[talkers] >= 0, wm.strength, -wm.strength * wm.negativity)
    message[refer[talkers]] = wm.strength
    tf = t.chosen[talkers]
    listeners_per_talker = m.contact_counts[t.visitors[talkers]]
    spread(m.customers.attitude, *m.contacts, t.visitors[talkers], tf, message)
    t.wom = np.bincount(tf, weights=listeners_per_talker, minlength=m.firms.k)
