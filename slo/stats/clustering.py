"""How slow requests (or errors) come together, measured over a window and its neighbouring stages rather than the
window alone.

A window's own scrape blocks are few (18 to 37), so a design effect taken from them alone is heavy-tailed, and
it is lowest exactly when the window happened to hold few slow requests: the windows that then pass. Its neighbours
hold many more: their requests in time order (the API's recording, one unit a request) or, for any API, their
scrape blocks. Consecutive units are merged into batches of 1, 2, 4, ... units (batch means with growing batch
sizes); at each size, the pooled variance of the batches' counts around their own window's share, over what
independent requests would give, is the design effect at that scale. It rises with the batch size until batches
outlast the clusters: the size is picked by the estimate less one standard error. A window is then judged at no less
than it, so one that shows no cluster is not taken as proof that none comes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from slo.stats import blocks as scrape_blocks
from slo.stats.confidence import Blocks
from slo.stats.latency_mean import pooled_spread, spread_unit
from slo.stats.queue_memory import Swings, memory_of

MIN_BATCHES = 20  # fewer batches estimate a variance too roughly to pick a size by


@dataclass(frozen=True)
class RunClustering:
    """The design effect measured around a window for one kind of counted request (slower than a threshold, or an
    error)."""
    deff: float
    batch_units: int      # the batch size, in units, that gave it
    batches: int          # batches of that size over the run
    units: str            # "requests in time order" or "scrape blocks"
    windows: int

    def describe(self) -> str:
        return (f"{self.deff:.2f} measured over {self.windows} neighbouring windows of the run (batches of "
                f"{self.batch_units} {self.units}, {self.batches} of them)")


def _batched(values: np.ndarray, size: int) -> np.ndarray:
    return np.add.reduceat(values, np.arange(0, len(values), size)) if size > 1 else values


class _Units:
    """One window's units in time order (requests, counted), each batch size's share of the pooled design effect
    computed once: of_run's neighbourhoods overlap, so one window serves up to five of them."""

    def __init__(self, n, x):
        self.n, self.x = np.asarray(n, dtype=float), np.asarray(x, dtype=float)
        self._terms: dict[int, tuple[float, float, int]] = {}

    def terms(self, size: int) -> tuple[float, float, int]:
        """(the batches' excess variance, what independent requests would give, how many batches) at `size`."""
        if size not in self._terms:
            self._terms[size] = self._terms_at(size)
        return self._terms[size]

    def _terms_at(self, size: int) -> tuple[float, float, int]:
        bn, bx = _batched(self.n, size), _batched(self.x, size)
        k = len(bn)
        total = float(bn.sum())
        if k < 2 or total <= 0:
            return 0.0, 0.0, 0
        p = float(bx.sum()) / total
        if not 0 < p < 1:
            return 0.0, 0.0, k
        return k / (k - 1) * float(((bx - p * bn) ** 2).sum()), p * (1 - p) * total, k


def _deff_at(windows: list[_Units], size: int) -> tuple[float | None, int]:
    """(the pooled design effect of batches of `size` units, each window centred on its own share; how many
    batches)."""
    excess = binomial = 0.0
    batches = 0
    for w in windows:
        e, b, k = w.terms(size)
        excess += e
        binomial += b
        batches += k
    return (excess / binomial if binomial > 0 else None), batches


def estimate(windows: list[tuple[np.ndarray, np.ndarray]], units: str,
             min_batches: int = MIN_BATCHES) -> RunClustering | None:
    """The run's design effect from its windows' units in time order, each (requests, counted) arrays; None when no
    window counted anything (nothing clustered to measure) or too few units to batch."""
    return _estimate([_Units(n, x) for n, x in windows], units, min_batches)


def _estimate(windows: list[_Units], units: str, min_batches: int = MIN_BATCHES) -> RunClustering | None:
    arrays = [w for w in windows if len(w.n) >= 2]
    best: RunClustering | None = None
    score, size = 0.0, 1
    while True:
        deff, batches = _deff_at(arrays, size)
        if batches < min_batches:
            break
        # The size is picked by the estimate less one standard error of a variance from that many batches, the
        # estimate then taken as it is: the largest of noisy estimates would widen every interval, and a size whose
        # batches are too few to say more than a smaller one does not outbid it.
        if deff is not None and deff * (1 - math.sqrt(2 / batches)) > score:
            score = deff * (1 - math.sqrt(2 / batches))
            best = RunClustering(max(1.0, deff), size, batches, units, len(arrays))
        size *= 2
    return best


def of_blocks(windows: list[Blocks | None]) -> RunClustering | None:
    """From every window's scrape blocks, for any API."""
    return _estimate([_Units(w.n, w.x) for w in windows if w is not None], "scrape blocks")


NEIGHBOURS = 2  # stages either side of a window whose requests speak for its clustering


def _offered_more(neighbour: float | None, own: float | None) -> bool:
    return neighbour is not None and own is not None and neighbour > own * (1 + 1e-6)


def of_run(evidences: list, recorded: list[np.ndarray | None], thresholds_s: list[float],
           collapsed: list[bool] | None = None, rates: list[float | None] | None = None) -> list[dict]:
    """Each window's clustering as its intervals take it (intervals.Evidence.clustering), measured over the window
    and its neighbours in the run (NEIGHBOURS stages either side): by latency threshold in seconds, from the API's
    recording of every window's requests when it holds them all, else from the scrape blocks at the threshold's
    lower bucket edge; "errors" from the request counter's blocks; "memory", the mean latency's lag-1
    correlation over the same windows (queue_memory.memory); and "mean_spread", the mean's relative spread over them
    (latency_mean.relative_spread). Neighbours, not the whole run: a ladder's
    stages cluster more as the load rises, and the collapsed stages past the knee would widen the quiet ones at its
    foot far beyond what their own traffic does; for the same reason a collapsed window (`collapsed`: it served
    less than it was offered) speaks only for itself, never for a neighbour, nor does one offered a higher rate
    (`rates`, the offered rates where declared): its queue is longer than the window's (measured: the gated stage at
    15 req/s, none of its 760 requests over 300 ms, was judged at the design effect 17.7 of the 45 % stage after it,
    [0 %, 8.5 %] against p95's 5 %)."""
    in_order = [r for r in recorded if r is not None and len(r)]
    by_requests = bool(in_order) and len(in_order) == len(evidences)
    collapsed = collapsed or [False] * len(evidences)
    rates = rates or [None] * len(evidences)
    # Each window's units and mean blocks are read once, then pooled over every neighbourhood it belongs to.
    counted = {round(t, 6): _units_by_window(evidences, recorded if by_requests else None, t) for t in thresholds_s}
    errors = [None if e.error_blocks is None else _Units(e.error_blocks.n, e.error_blocks.x) for e in evidences]
    swings = [Swings.of(e.mean_blocks) for e in evidences]
    spread_units = [spread_unit(e.mean_blocks) for e in evidences]
    out = []
    for j in range(len(evidences)):
        near = [i for i in range(max(0, j - NEIGHBOURS), min(len(evidences), j + NEIGHBOURS + 1))
                if i == j or not (collapsed[i] or _offered_more(rates[i], rates[j]))]
        found: dict = {}
        for t, units in counted.items():
            got = _estimate([units[i] for i in near if units[i] is not None],
                            "requests in time order" if by_requests else "scrape blocks")
            if got is not None:
                found[t] = got
        got = _estimate([errors[i] for i in near if errors[i] is not None], "scrape blocks")
        if got is not None:
            found["errors"] = got
        found["memory"] = memory_of([swings[i] for i in near])
        spread = pooled_spread([spread_units[i] for i in near])
        if spread is not None:
            found["mean_spread"] = spread
        out.append(found)
    return out


def _units_by_window(evidences: list, recorded: list[np.ndarray] | None, threshold_s: float) -> list[_Units | None]:
    """Each window's units at a latency threshold: its recorded requests (latencies in ms), or else its scrape blocks
    over the threshold's lower bucket edge."""
    if recorded is not None:
        return [_Units(np.ones(len(r)), (np.asarray(r) / 1000 > threshold_s).astype(float)) for r in recorded]
    out: list[_Units | None] = []
    for e in evidences:
        over = scrape_blocks.over(e.bucket_blocks, scrape_blocks.edges_around(e.bucket_blocks, threshold_s)[0])
        out.append(None if over is None else _Units(over.n, over.x))
    return out
