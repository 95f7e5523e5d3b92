"""Model inference alone, each variant: one prediction, and a batch of 32 (what micro-batching hands the forest)."""
from __future__ import annotations

import time

from api import models
from api.features import FEATURES
from loadtests.traffic import load_traffic


def _timed(call, n: int) -> list[float]:
    clock, out = time.perf_counter_ns, []
    for _ in range(n):
        t = clock()
        call()
        out.append((clock() - t) / 1000)
    return out


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[int(q * (len(xs) - 1))]


def measure(n_linear: int = 100_000, n_forest: int = 300) -> dict:
    """Microseconds per call: p50 and p99 of one row, and the p50 of a batch of 32 rows, per model variant."""
    rows = load_traffic("serving")[1]
    assert len(FEATURES) == 14 and rows
    out = {}
    for kind, n in (("linear", n_linear), ("forest", n_forest)):
        model = models.load(models.default_path(kind))
        encoded = [model.encode(r) for r in rows[:512]]
        one = iter(range(10**9))
        single = _timed(lambda: model.predict_batch([encoded[next(one) % len(encoded)]]), n)
        batch = _timed(lambda: model.predict_batch(encoded[:32]), max(10, n // 10))
        out[f"{kind} one row p50 us"] = _pct(single, 0.5)
        out[f"{kind} one row p99 us"] = _pct(single, 0.99)
        out[f"{kind} 32 rows p50 us"] = _pct(batch, 0.5)
    return out
