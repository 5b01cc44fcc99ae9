"""Random draws of the demo generator: per-block streams and inverse-CDF picks.

Private to :mod:`workbench.demo`. Random draws about a customer come from the stream of that
customer's block of :data:`BLOCK` consecutive customers (a child of
``np.random.SeedSequence(seed)``), so the data depend on ``(customers, seed, start, as_of)``
only, never on the chunk size.
"""

from __future__ import annotations

import numpy as np

BLOCK = 100  # customers per random stream; chunk sizes are rounded to a multiple of it


class Streams:
    """One numpy Generator per block of `BLOCK` consecutive customers.

    Rows passed to :meth:`draw` are sorted by customer; each block's rows are drawn from the
    block's own stream, in the same sequence of calls whatever the chunk it falls in.
    """

    def __init__(self, seed: int, first_block: int, n_blocks: int) -> None:
        self.gens = [
            np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, b)))
            for b in range(first_block, first_block + n_blocks)
        ]

    def draw(self, block: np.ndarray, method: str, *params, cols: int | None = None) -> np.ndarray:
        bounds = np.searchsorted(block, np.arange(len(self.gens) + 1))
        parts = []
        for gen, lo, hi in zip(self.gens, bounds[:-1], bounds[1:], strict=True):
            args = [p[lo:hi] if isinstance(p, np.ndarray) else p for p in params]
            size = (hi - lo,) if cols is None else (hi - lo, cols)
            parts.append(getattr(gen, method)(*args, size=size))
        return np.concatenate(parts)


def cdf(weights) -> np.ndarray:
    """Row-wise cumulative distribution of non-negative weights, last column exactly 1."""
    w = np.atleast_2d(np.asarray(weights, float))
    out = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    out[:, -1] = 1.0
    return out


def mix(mixes: list[dict], vocabulary: tuple[str, ...]) -> np.ndarray:
    """Row-wise CDF over `vocabulary` of dicts ``{word: weight}`` (absent words weigh 0)."""
    return cdf([[m.get(v, 0.0) for v in vocabulary] for m in mixes])


def pick(cdfs: np.ndarray, group: np.ndarray | int, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw per row from the distribution ``cdfs[group]`` (rows of :func:`cdf`)."""
    k = cdfs.shape[1]
    group = np.broadcast_to(np.asarray(group), u.shape)
    flat = (cdfs + np.arange(len(cdfs))[:, None]).ravel()
    return np.minimum(np.searchsorted(flat, u + group, side="right") - group * k, k - 1)


def days_between(u: np.ndarray, first: int, last: int) -> np.ndarray:
    """Whole numbers of days uniform in ``first .. last`` (inclusive), from uniforms `u`."""
    return first + np.floor(u * (last - first + 1)).astype("int64")
