"""The generator's seconds: per-process counts and log-binned latencies, summed exactly by the master."""
import random

import numpy as np
import pytest

from loadtests.client_series import SecondRecorder, SeriesMerger, percentile, series


def _deltas(latencies: dict[str, list[tuple[float, float]]]) -> list[tuple[str, dict]]:
    out = []
    for worker, samples in latencies.items():
        r = SecondRecorder()
        for ts, ms in samples:
            r.add(ts, ms, ok=ms < 100)
        r.add_cpu(1001.2, 0.4)
        out.append((worker, r.delta()))
    return out


def test_seconds_from_several_processes_sum_and_their_percentiles_are_within_a_bin():
    rng = random.Random(3)
    samples = {w: [(1000 + rng.random() * 3, rng.lognormvariate(1.5, 1)) for _ in range(4000)] for w in ("a", "b")}
    merged = SeriesMerger()
    for worker, delta in reversed(_deltas(samples)):
        merged.add(worker, delta)
    s = series(merged.doc(), wall_start=1000.0, stopped_at=1002.9)
    everything = [x for v in samples.values() for x in v]
    for i, second in enumerate((1000, 1001, 1002)):
        mine = [ms for ts, ms in everything if int(ts) == second]
        assert s["requests"][i] == len(mine)
        assert s["failures"][i] == sum(ms >= 100 for ms in mine)
        for q in (0.5, 0.95, 0.99):
            exact = float(np.percentile(mine, q * 100))
            assert s[f"p{q * 100:g}_ms"][i] == pytest.approx(exact, rel=0.03), (second, q)
    assert s["cpu_cores"] == {"a": [None, 0.4, None], "b": [None, 0.4, None]}


def test_a_second_without_requests_is_a_gap_not_a_zero_latency():
    r = SecondRecorder()
    r.add(1000.5, 5.0, True)
    r.add(1002.5, 7.0, True)
    merged = SeriesMerger()
    merged.add("w", r.delta())
    s = series(merged.doc(), 1000.0, 1002.9)
    assert s["requests"] == [1, 0, 1] and s["p99_ms"][1] is None and s["p99_ms"][0] == pytest.approx(5.0, rel=0.02)


def test_a_delta_starts_afresh():
    r = SecondRecorder()
    r.add(1000.0, 5.0, True)
    r.delta()
    assert r.delta() == {"seconds": {}, "cpu": {}}


def test_percentile_of_an_empty_histogram_is_none():
    assert percentile({}, 0.99) is None
