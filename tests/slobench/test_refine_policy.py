"""The refinement's search policy is pure: multiply until a failure, then bisect."""
import pytest

from slobench.refine import search_rate


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
    got = search_rate(tried, start=500, factor=1.6, max_rps=20_000, precision=0.1)
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_the_search_stops_at_the_maximum_rate():
    assert search_rate([(12_800, "pass")], start=500, factor=1.6, max_rps=20_000, precision=0.1) is None


@pytest.mark.parametrize("tried, expected", [
    ([(500, "pass"), (800, "inconclusive")], 650),
    ([(500, "pass"), (800, "generator-bound")], 650),
    ([(500, "pass"), (800, "fail"), (650, "pass"), (725, "pass"), (762.5, "pass")], None),
    ([(500, "pass"), (800, "fail"), (650, "pass"), (725, "pass")], 762.5),
], ids=["an undecided step stops the climb",
        "a saturated generator stops the climb (it measured the generator)",
        "the search stops within 5 % of the rate", "and goes on while the gap is wider"])
def test_next_rate_with_confidence(tried, expected):
    got = search_rate(tried, start=500, factor=1.6, max_rps=20_000, precision=0.05)
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
    got = search_rate(tried, start=500, factor=1.6, max_rps=20_000, precision=0.05)
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_no_rate_is_ever_tried_twice_whatever_the_verdicts():
    import random
    rng = random.Random(7)
    for _ in range(300):
        tried = []
        for _ in range(25):
            rate = search_rate(tried, start=500, factor=1.6, max_rps=20_000, precision=0.05)
            if rate is None:
                break
            assert rate not in {r for r, _ in tried}
            tried.append((rate, rng.choice(["pass", "fail", "inconclusive", "insufficient", "generator-bound"])))


@pytest.mark.parametrize("rate, seconds", [(15, 32), (20, 25), (40, 20)],
                         ids=["the required 15 req/s needs 32 s to reach p99's zero-count minimum",
                              "20 req/s, 25 s", "40 req/s, the declared 20 s are enough"])
def test_a_step_is_long_enough_to_decide_at_its_first_rate(rate, seconds):
    from slobench.refine import step_seconds
    from slo.file.load import load_slo
    assert step_seconds(rate, load_slo(), 20) == seconds
