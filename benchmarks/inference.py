"""Model inference alone: one prediction through the pure-Python scorer."""
from __future__ import annotations

import time

from api import model as model_lib
from api.features import FEATURES, encode
from loadtests.traffic import load_traffic


def measure(n: int = 100_000) -> dict:
    model = model_lib.load()
    rows = load_traffic("serving")[1]
    vectors = [encode(r) for r in rows]
    score_ns, full_ns = [], []
    clock = time.perf_counter_ns
    for i in range(n):
        v = vectors[i % len(vectors)]
        t = clock()
        model.probability(v)
        score_ns.append(clock() - t)
    for i in range(n // 10):
        r = rows[i % len(rows)]
        t = clock()
        model.predict(r)
        full_ns.append(clock() - t)

    def pct(xs, q):
        xs = sorted(xs)
        return xs[int(q * (len(xs) - 1))] / 1000

    assert len(FEATURES) == 14
    return {"scorer p50 us": pct(score_ns, 0.5), "scorer p99 us": pct(score_ns, 0.99),
            "encode+score p50 us": pct(full_ns, 0.5), "encode+score p99 us": pct(full_ns, 0.99)}
