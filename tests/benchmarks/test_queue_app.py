"""The known-knee target (benchmarks/queue_app.py) is the M/M/1 queue its knee is computed for: driven by Poisson
arrivals on a virtual clock, each objective's share crosses its limit at the rate knee_rps states."""
import math

import numpy as np
import pytest

from benchmarks.queue_app import SingleServer, knee_rps
from slo.file.load import load_slo

SERVICE_S = 0.018


def shares_over(rate: float, thresholds_s: list[float], arrivals: int = 200_000, seed: int = 7) -> list[float]:
    """The share of `arrivals` Poisson arrivals at `rate` whose time in the queue exceeds each threshold."""
    rng = np.random.default_rng(seed)
    server = SingleServer(SERVICE_S, seed)
    times = np.cumsum(rng.exponential(1 / rate, arrivals))
    sojourn = np.array([server.departure(t) - t for t in times])[arrivals // 10:]   # past the empty start
    return [float((sojourn > t).mean()) for t in thresholds_s]


@pytest.mark.parametrize("name", ["p50", "p95", "p99"], ids=lambda n: f"{n} meets its limit at its stated knee")
def test_a_quantiles_share_crosses_its_limit_at_the_stated_knee(name):
    spec = load_slo()
    o = next(o for o in spec.objectives if o.name == name)
    knee = knee_rps(spec, SERVICE_S)[name]
    below, at, above = shares_over(0.97 * knee, [o.threshold_ms / 1000])[0], \
        shares_over(knee, [o.threshold_ms / 1000])[0], shares_over(1.03 * knee, [o.threshold_ms / 1000])[0]
    limit = 1 - o.quantile
    assert below < limit < above
    assert at == pytest.approx(limit, rel=0.2)


def test_the_knee_in_the_mixs_rate_divides_by_the_share_that_queues():
    spec = load_slo()
    whole, part = knee_rps(spec, SERVICE_S), knee_rps(spec, SERVICE_S, queued_share=0.9)
    assert {k: round(v / 0.9, 9) for k, v in whole.items()} == {k: round(v, 9) for k, v in part.items()}
    assert min(whole, key=whole.get) == "p95"
    assert whole["p95"] == pytest.approx(1 / SERVICE_S - math.log(20) / 0.3)
