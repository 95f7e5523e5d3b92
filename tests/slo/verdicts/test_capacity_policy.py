"""The capacity search policy is pure: multiply until a failure, then bisect."""
import pytest

from slobench.capacity import summarize
from slobench.steps import next_rate


@pytest.mark.parametrize("tried, expected", [
    ([], 500),
    ([(500, "pass")], 800),
    ([(500, "pass"), (800, "pass"), (1280, "fail")], 1040),
    ([(500, "pass"), (800, "pass"), (1280, "fail"), (1040, "pass")], 1160),
    ([(500, "pass"), (800, "pass"), (1280, "fail"), (1040, "pass"), (1160, "pass"), (1220, "fail")], None),
    ([(500, "fail")], 312.5),
    ([(500, "pass"), (800, "insufficient")], 1280),
], ids=["start", "grow after a pass", "bisect after the first failure", "bisect again", "stop within 10 %",
        "step down when the start fails", "an insufficient step is neither pass nor fail"])
def test_next_rate(tried, expected):
    got = next_rate(tried, start=500, factor=1.6, max_rps=20_000, precision=0.1)
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_the_search_stops_at_the_maximum_rate():
    assert next_rate([(12_800, "pass")], start=500, factor=1.6, max_rps=20_000, precision=0.1) is None


@pytest.mark.parametrize("tried, expected", [
    ([(500, "pass"), (800, "inconclusive")], 650),
    ([(500, "pass"), (800, "generator-bound")], 650),
    ([(500, "pass"), (800, "fail"), (650, "pass"), (725, "pass"), (762.5, "pass")], None),
    ([(500, "pass"), (800, "fail"), (650, "pass"), (725, "pass")], 762.5),
], ids=["a step still inconclusive after its repeat stops the climb",
        "a saturated generator stops the climb (it measured the generator)",
        "the search stops within 5 % of the rate", "and goes on while the gap is wider"])
def test_next_rate_with_confidence(tried, expected):
    got = next_rate(tried, start=500, factor=1.6, max_rps=20_000, precision=0.05)
    assert got == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize("tried, expected", [
    ([(500, "pass"), (800, "fail"), (650, "insufficient")], 575),
    ([(500, "pass"), (800, "fail"), (650, "pass"), (725, "pass"), (762.5, "inconclusive")], 743.8),
    ([(500, "pass"), (800, "fail"), (650, "pass"), (743.8, "pass"), (762.5, "inconclusive")], None),
    ([(500, "pass"), (800, "client-tail")], 650),
], ids=["an undecided step is not tried again at the same rate (it was: 650, 650, 650)",
        "an inconclusive step inside the interval splits it; the widest gap is probed",
        "no gap left wider than the precision: stop, though the interval is not resolved",
        "a tail broken at the client bounds the climb like a failure"])
def test_next_rate_never_repeats_a_rate(tried, expected):
    got = next_rate(tried, start=500, factor=1.6, max_rps=20_000, precision=0.05)
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_no_rate_is_ever_tried_twice_whatever_the_verdicts():
    import random
    rng = random.Random(7)
    for _ in range(300):
        tried = []
        for _ in range(25):
            rate = next_rate(tried, start=500, factor=1.6, max_rps=20_000, precision=0.05)
            if rate is None:
                break
            assert rate not in {r for r, _ in tried}
            tried.append((rate, rng.choice(["pass", "fail", "inconclusive", "insufficient", "generator-bound"])))


def _steps(*rated):
    return [{"offered_rps": r, "verdict": v, "achieved_rps": r} for r, v in rated]


@pytest.mark.parametrize("steps, capacity, interval, resolved", [
    (_steps((500, "pass"), (800, "fail"), (650, "pass"), (725, "pass"), (762.5, "inconclusive")), 725, [725, 800],
     False),
    (_steps((500, "pass"), (800, "inconclusive"), (1280, "fail")), 500, [500, 1280], False),
    (_steps((500, "pass"), (800, "fail"), (650, "pass"), (725, "pass"), (762.5, "pass")), 762.5, [762.5, 800], True),
    (_steps((500, "pass"), (800, "pass"), (1280, "fail")), 800, [800, 1280], False),
    (_steps((500, "pass"), (800, "inconclusive"), (800, "pass"), (1280, "fail")), 800, [800, 1280], False),
    (_steps((500, "pass"), (800, "fail"), (1280, "pass")), 500, [500, 800], False),
    (_steps((500, "pass"), (800, "generator-bound")), 500, [500, None], False),
    (_steps((500, "fail")), None, [None, 500], False),
], ids=["an inconclusive step is no end: [725, 800] is 10 % wide, not resolved (it was called 4.9 %)",
        "an inconclusive step moves neither end, as in a run's report",
        "resolved to within 5 %", "a wide interval says it was not resolved",
        "an inconclusive step repeated and passing counts as its repeat's pass",
        "never above a confident failure, whatever passed higher",
        "a saturated generator is neither a pass nor the API's failure", "nothing passed"])
def test_the_capacity_interval(steps, capacity, interval, resolved):
    got = summarize(steps, precision=0.05)
    assert got["capacity_rps"] == capacity and got["interval_rps"] == interval and got["resolved"] is resolved
    assert got["bounded"] is (None not in interval)  # bounded: both ends known (it was inverted)


@pytest.mark.parametrize("rate, seconds", [(15, 32), (20, 25), (40, 20)],
                         ids=["the required 15 req/s needs 32 s to reach p99's zero-count minimum",
                              "20 req/s, 25 s", "40 req/s, the declared 20 s are enough"])
def test_a_step_is_long_enough_to_decide_at_its_first_rate(rate, seconds):
    from slobench.steps import step_seconds
    from slo.file.load import load_slo
    assert step_seconds(rate, load_slo(), 20) == seconds
