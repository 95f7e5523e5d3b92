"""The saturation probe, watched: measured again once where other work took the API's cores while it ran, and the
figure measured with less other work taken (the higher one where both shared the cores alike)."""
import pytest

from loadtests.probe import Level, Saturation
from slobench import probing

PROBE_S = 15   # each probe's seconds on the fake clock


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class Machine:
    """The API's one core fully busy each second, other work taking `shares[k]` of it during the k-th probe (a pair:
    the two in turn, second by second)."""

    def __init__(self, shares: list[float]):
        self.shares = shares

    def figures(self) -> dict:
        samples, busy, api = [], 0.0, 0.0
        for second in range(PROBE_S * len(self.shares) + 1):
            samples.append({"t": float(second), "cores": {"0": [busy, 0.0, float(second)]}, "api_cpu_s": api})
            share = self.shares[min(second // PROBE_S, len(self.shares) - 1)]
            share = share[second % 2] if isinstance(share, tuple) else share
            busy, api = busy + 1.0, api + 1.0 - share
        return {"api_cpus": [0], "samples": samples, "speed": []}


def _probes(clock: Clock, rates: list[float]):
    sent = []

    def measure() -> Saturation:
        rate = rates[len(sent)]
        sent.append(rate)
        clock.t += PROBE_S
        return Saturation(rate, rate - 2, rate + 2, [Level(4, rate, rate - 2, rate + 2, 100, 0)], 0.2)
    return measure, sent


@pytest.mark.parametrize("shares, rates, taken, measured, said", [
    ([0.01], [67.0], 67.0, 1, None),
    ([0.5, 0.01], [35.0, 67.0], 67.0, 2, "other work took 50% [50%, 50%] of the API's core(s) while it ran (35.0 "
                                          "req/s) and 1% [1%, 1%] when measured again (67.0): the figure measured "
                                          "with less of it is taken"),
    ([0.5, 0.45], [34.0, 36.0], 36.0, 2, "; the machine stayed shared, and the stages will share it too"),
    ([0.3, 0.6], [50.0, 30.0], 50.0, 2, "and 60% [60%, 60%] when measured again (30.0)"),
    ([(0.4, 0.55), (0.42, 0.5)], [41.5, 36.2], 41.5, 2, "the same within noise both times: the higher figure is "
                                                        "taken"),
    ([(0.4, 0.5), (0.42, 0.55)], [36.2, 41.5], 41.5, 2, "the same within noise both times"),
    (None, [35.0], 35.0, 1, None),
], ids=["a probe on a quiet machine is measured once",
        "other work during the probe that ended before it was measured again: the second figure is taken",
        "a machine shared through both: the figure with less other work, and the machine said to stay shared",
        "other work that took more when measured again: the first figure stands",
        "a machine shared alike through both (the shares' intervals overlap): the higher figure, the first",
        "a machine shared alike through both, the second read higher: the second",
        "an API this run did not start is not watched: measured once"])
def test_a_probe_that_shared_the_apis_cores_is_measured_again(monkeypatch, shares, rates, taken, measured, said):
    clock = Clock()
    monkeypatch.setattr(probing.time, "time", clock)
    measure, sent = _probes(clock, rates)
    got = probing.watched(measure, measure, Machine(shares) if shares else None, 0.95, log=lambda _: None)
    assert got.rps == taken and len(sent) == measured
    assert (said is None and not got.notes) or any(said in n for n in got.notes), got.notes
