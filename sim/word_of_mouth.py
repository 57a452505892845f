"""Word of mouth over a small-world social graph (Goldenberg, Libai & Muller 2001).

The graph is a Watts-Strogatz small world (1998) held in compressed sparse row
form (``indptr``, ``indices``) so that spreading costs time in proportion to the
messages sent, never to the square of the market. ``to_networkx`` gives the same
graph as a networkx object for inspection and analysis.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from .jit import compiled


def small_world(
    n: int, degree: int, rewiring: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
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
    # np.unique (sorted distinct keys) by sorting: its hash table is several times slower
    # on the millions of edges of a large market
    key = np.sort(a * n + b)
    if key.size:
        key = key[np.concatenate([[True], key[1:] != key[:-1]])]
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
    g: nx.Graph[int] = nx.Graph()
    n = indptr.size - 1
    g.add_nodes_from(range(n))
    src = np.repeat(np.arange(n), np.diff(indptr))
    g.add_edges_from(zip(src.tolist(), indices.tolist(), strict=True))
    return g


def spread(
    attitude: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    talkers: np.ndarray,
    firm: np.ndarray,
    message: np.ndarray,
) -> int:
    """Each talker shifts every contact's attitude to ``firm`` by ``message`` (kept in
    [0, 1]); returns the messages sent."""
    return _spread(attitude, indptr, indices, talkers, firm, message)


def _spread(attitude, indptr, indices, talkers, firm, message):
    """Messages added talker by talker, contact by contact (attitude is firm-major
    (K, N)); every attitude that heard something is then clipped to [0, 1]."""
    sent = 0
    for j in range(talkers.size):
        k, c = firm[j], talkers[j]
        for p in range(indptr[c], indptr[c + 1]):
            attitude[k, indices[p]] += message[j]
        sent += indptr[c + 1] - indptr[c]
    for j in range(talkers.size):
        k, c = firm[j], talkers[j]
        for p in range(indptr[c], indptr[c + 1]):
            a = attitude[k, indices[p]]
            if a == a:  # np.clip: NaN stays, -0.0 becomes 0.0
                a = a if a > 0.0 else 0.0
                attitude[k, indices[p]] = a if a < 1.0 else 1.0
    return sent


_spread = compiled(_spread)


def talk(visitors, chosen, surprise, promoter, C, N, P, R):
    """Phase 5 of the day: surprised customers talk to their contacts, promoters refer.
    Returns the messages sent about each firm."""
    n = surprise.size
    u_talk, u_refer = R.word_of_mouth.random(n), R.word_of_mouth.random(n)
    talkers, firm = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    message = np.empty(n)
    count = _talkers(
        visitors, chosen, surprise, promoter, u_talk, u_refer, P.wom_threshold,
        P.talk_probability, P.referral_probability, P.wom_strength, P.wom_complaint,
        talkers, firm, message,
    )  # fmt: skip
    talkers, firm, message = talkers[:count], firm[:count], message[:count]
    _spread(C.attitude, N.indptr, N.indices, talkers, firm, message)
    sent = np.zeros(C.attitude.shape[0])
    for j in range(count):
        sent[firm[j]] += N.contact_counts[talkers[j]]
    return sent


def _talkers(
    visitors, chosen, surprise, promoter, u_talk, u_refer, threshold, talk_probability,
    referral_probability, praise, complaint, talkers, firm, message,
):  # fmt: skip
    """Visitors surprised beyond the threshold talk (praise or complaint, by the sign of
    the surprise); promoters who do not talk may refer (praise). Returns how many."""
    count = 0
    for i in range(visitors.size):
        talks = abs(surprise[i]) > threshold and u_talk[i] < talk_probability
        refers = promoter[i] and not talks and u_refer[i] < referral_probability
        if talks or refers:
            talkers[count], firm[count] = visitors[i], chosen[i]
            message[count] = praise if refers or surprise[i] >= 0 else complaint
            count += 1
    return count


_talkers = compiled(_talkers)
talk = compiled(talk)
