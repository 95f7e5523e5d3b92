"""The knee from every stage at once: a curve fitted across the stages' shares, the bracket it may narrow, and the
stages that break the rising order."""
import math
from types import SimpleNamespace

import numpy as np
import pytest

from slo.verdicts import knee

MU = 1 / 0.012   # an M/M/1 server of 12 ms
THRESHOLD = math.log(20) / (MU - 45.0)   # p95's threshold crossed at exactly 45 req/s


def _points(rates, shares, n=100_000, divisor=1.0):
    return [knee.Point(f"s{i}", r, max(0.0, p - 0.001), p + 0.001, n, p * n, divisor)
            for i, (r, p) in enumerate(zip(rates, shares))]


def test_the_fitted_crossing_of_an_m_m_1_queues_tail_is_its_knee():
    rates = [30, 36, 40, 44, 49, 54]
    shares = [math.exp(-(MU - r) * THRESHOLD) for r in rates]    # exact: the fit's own model
    fit = knee.fit_crossing(_points(rates, shares), 0.05, 0.95)
    assert fit["estimate_rps"] == pytest.approx(45.0, abs=0.01)
    low, high = fit["interval_rps"]
    assert low < 45.0 < high and (high - low) / low < 0.02       # 100,000 requests a stage: a narrow band


def test_fewer_requests_widen_the_crossings_interval():
    rates = [30, 36, 40, 44, 49, 54]
    shares = [math.exp(-(MU - r) * THRESHOLD) for r in rates]
    many = knee.fit_crossing(_points(rates, shares), 0.05, 0.95)["interval_rps"]
    few = knee.fit_crossing(_points(rates, shares, n=1000, divisor=3), 0.05, 0.95)["interval_rps"]
    assert few[1] - few[0] > 5 * (many[1] - many[0])


@pytest.mark.parametrize("shares, why", [([0.0, 0.0, 0.3, 1.0], "two stages between 0 and 1: too few to fit"),
                                         ([0.2, 0.1, 0.05, 0.02], "a share falling with the rate is no knee")],
                         ids=["too few stages hold a share to fit a curve", "a share that falls with the rate"])
def test_no_fit_where_the_stages_cannot_give_one(shares, why):
    assert knee.fit_crossing(_points([30, 40, 50, 60], shares), 0.05, 0.95) is None, why


@pytest.mark.parametrize("bracket, fit, interval, decided", [
    ([40, 60], [44, 49], [44, 49], ["fit", "fit"]),
    ([40, 60], [35, 49], [40, 49], ["bracket", "fit"]),
    ([None, 60], [-5, 49], [None, 49], ["bracket", "fit"]),
    ([40, 60], [61, 70], [40, 60], ["bracket", "bracket"]),
    ([40, None], [44, 49], [44, 49], ["fit", "fit"]),
], ids=["a fit inside the bracket narrows both ends", "a fit reaching below the bracket narrows the high end only",
        "a band reaching below no load bounds nothing below", "a fit outside the bracket: the bracket stands",
        "an open bracket is closed by the fit"])
def test_the_fit_only_narrows_the_bracket(bracket, fit, interval, decided):
    got, by = knee.narrowed(bracket, fit)
    assert got == interval and by == decided


def test_a_stage_that_did_better_than_a_lower_one_is_named():
    points = [knee.Point("s1", 30, 0.00, 0.01, 1000, 3, 1), knee.Point("s2", 40, 0.06, 0.09, 1000, 75, 1),
              knee.Point("s3", 50, 0.01, 0.03, 1000, 20, 1), knee.Point("s4", 60, 0.2, 0.3, 1000, 250, 1)]
    bounds, breaks = knee.envelope(points)
    assert breaks == ["s3"]
    assert bounds[2] == (0.06, 0.03) and np.all(np.diff([b[0] for b in bounds]) >= 0)


def _tail_point(rate: float, log_share: float, variance: float = 0.01, observed: float = 0.0) -> knee.Point:
    return knee.Point(f"r{rate:g}", rate, 0.0, 1.0, 1000, observed * 1000, 1.0,
                      {"log_share": log_share, "variance": variance, "from_ms": 50.0, "observed": observed})


def test_shares_read_from_the_tail_fit_stages_that_hold_none_over_the_threshold():
    rates = [36, 40, 44, 49, 54]
    points = [_tail_point(r, -(MU - r) * THRESHOLD, observed=0.0 if r < 45 else 0.06) for r in rates]  # few over it
    fit = knee.fit_crossing(points, 0.05, 0.95)
    # Each log share raised by half its variance (0.01): the line crosses that much earlier, 0.005 / its slope.
    assert fit["estimate_rps"] == pytest.approx(45.0 - 0.005 / THRESHOLD, abs=0.01)
    assert fit["from_tail"] == [p.stage for p in points]
    low, high = fit["interval_rps"]
    assert low < 45.0 < high


def test_a_log_share_is_raised_by_half_its_variance():
    """The log of a share estimated without bias lies under the share's log by about half its variance."""
    counted = knee.Point("s", 40, 0.0, 1.0, 1000, 50, 4.0)
    log_share, variance = counted.log_share()
    assert variance == pytest.approx(0.95 / (250 * 0.05))
    assert log_share == pytest.approx(math.log(0.05) + variance / 2)
    assert _tail_point(40, -3.0, variance=0.2).log_share() == pytest.approx((-2.9, 0.2))


@pytest.mark.parametrize("log_share, observed, usable", [
    (math.log(0.05) - 3.9, 0.0, True),
    (math.log(0.05) - 4.1, 0.0, False),
    (math.log(0.4), 0.6, False),
], ids=["a tail read within e^4 of the limit is used", "one read further below is the body of the latencies, not used",
        "a stage past half over the threshold is not used"])
def test_which_tail_readings_the_fit_uses(log_share, observed, usable):
    assert _tail_point(40, log_share, observed=observed).usable(0.05) is usable


@pytest.mark.parametrize("observed, usable", [(0.6, True), (0.8, True), (0.94, True), (0.96, False)],
                         ids=["p50's fit uses a stage 60 % over its threshold: its crossing needs both sides",
                              "and one 80 % over it, where a stationary queue's line still holds",
                              "up to nearly every request over it", "not one past that"])
def test_a_median_objectives_fit_reaches_past_half(observed, usable):
    assert _tail_point(40, math.log(observed), observed=observed).usable(0.5) is usable


def test_a_fit_that_a_stages_own_share_contradicts_below_gives_no_low_end():
    """Flat low stages and a steep rise (the forest API's p50): the line through them would place the crossing past
    a stage that showed more than half over the threshold. That stage says the knee lies lower: the low end bounds
    nothing, the high end stays."""
    low = [_tail_point(r, math.log(p), variance=0.002, observed=p)
           for r, p in ((r, 0.03 * math.exp(0.1 * (r - 15))) for r in (15, 20, 25, 30))]   # the line crosses at 43
    steep = _tail_point(35.7, math.log(0.57), variance=2.0, observed=0.57)
    fit = knee.fit_crossing(low + [steep], 0.5, 0.95)
    assert fit["interval_rps"][0] is None and fit["interval_rps"][1] > 43 and fit["contradicted_by"] == ["r35.7"]


def test_a_fit_that_a_stages_own_share_contradicts_above_gives_no_high_end():
    """A steep rise through the lower stages, and a stage further up with less than half over the threshold (the
    default run's s6 at 90 % of saturation, 37 % over p50's, beside a step at 90 % with 89 %): that stage says the
    knee lies higher. The high end bounds nothing, the low end stays."""
    steep = [_tail_point(r, math.log(p), variance=0.002, observed=p)
             for r, p in ((r, 0.05 * math.exp(0.1 * (r - 54))) for r in (54, 62, 70, 78))]   # the line crosses at 77
    under = _tail_point(89.7, math.log(0.37), variance=2.0, observed=0.37)
    fit = knee.fit_crossing(steep + [under], 0.5, 0.95)
    low, high = fit["interval_rps"]
    assert high is None and fit["contradicted_by"] == ["r89.7"] and 75 < low < fit["estimate_rps"] < 78


@pytest.mark.parametrize("fitted, interval, decided", [
    ([None, 60.0], [40.0, 60.0], ["bracket", "fit"]),
    ([45.0, None], [45.0, 70.0], ["fit", "bracket"]),
    ([None, None], [40.0, 70.0], ["bracket", "bracket"]),
], ids=["a contradicted low end leaves the bracket's", "a contradicted high end leaves the bracket's",
        "both contradicted: the bracket alone"])
def test_an_end_a_stage_contradicted_leaves_the_brackets_end(fitted, interval, decided):
    assert knee.narrowed([40.0, 70.0], fitted) == (interval, decided)


def _stage(name, rate, status, client_breaks=()):
    return SimpleNamespace(name=name, rate=rate, status=status, completed=True, client_breaks=list(client_breaks))


@pytest.mark.parametrize("statuses, best, lowest_fail", [
    (["pass", "pass", "pass", "fail"], "s3", "s4"),
    (["pass", "inconclusive", "pass", "fail"], "s1", "s4"),
    (["pass", "warn", "fail", "fail"], "s2", "s3"),
    (["inconclusive", "pass", "pass", "pass"], None, None),
    (["fail", "fail", "fail", "fail"], None, "s1"),
    (["pass", "fail", "inconclusive", "fail"], "s1", "s4"),
    (["pass", "warn", "fail", "pass"], "s2", None),
], ids=["every stage under the lowest failure passed: the highest of them is the low end",
        "a pass over an undecided stage sets no end: the walk up stops at the first stage that did not pass",
        "a pass over the lowest failure sets no end",
        "nothing counts as met above an undecided lowest stage",
        "a failing lowest stage leaves the low end open",
        "a failure under an undecided stage sets no end: the walk down stops at the first stage that did not fail",
        "a pass over every failure leaves the high end open: the stages contradict each other"])
def test_the_brackets_ends_walk_in_from_either_side(statuses, best, lowest_fail):
    stages = [_stage(f"s{i + 1}", 20 + 10 * i, status) for i, status in enumerate(statuses)]
    got_best, got_fail = knee.bracket_stages(stages, lambda s: s.rate)
    assert (got_best and got_best.name, got_fail and got_fail.name) == (best, lowest_fail)


def test_at_a_tie_of_rates_a_stage_that_did_not_pass_stops_the_walk():
    stages = [_stage("s1", 20, "pass"), _stage("s2", 30, "pass"), _stage("r1", 30, "inconclusive"),
              _stage("s3", 40, "pass", client_breaks=["p99"])]
    best, _ = knee.bracket_stages(stages, lambda s: s.rate)
    assert best.name == "s1"


def test_at_a_tie_of_rates_a_stage_that_did_not_fail_stops_the_walk_down():
    stages = [_stage("s1", 20, "pass"), _stage("s2", 30, "fail"), _stage("r1", 30, "inconclusive"),
              _stage("s3", 40, "fail")]
    _, lowest_fail = knee.bracket_stages(stages, lambda s: s.rate)
    assert lowest_fail.name == "s3"


@pytest.mark.parametrize("offered, sent, dropped, achieved, rate", [
    (50.0, 1056, None, 49.0, 48.0),
    (50.0, 1000, 100, 40.0, 50.0),
    (50.0, None, None, 49.0, 50.0),
    (None, None, None, 42.5, 42.5),
], ids=["a stage is placed at the arrivals the generator counted in its window, not the rate it declared",
        "arrivals dropped for lack of a free user were offered too",
        "without a count, at the rate declared",
        "a closed-model stage, which declares no rate, at what it achieved"])
def test_a_stage_is_placed_at_the_rate_its_arrivals_came(offered, sent, dropped, achieved, rate):
    """A Poisson schedule's arrivals in a 22 s window stray about 3 % from its rate, and near the knee the share over
    a threshold moves that much with them."""
    from tests.slo.fakes import stage_of
    stage = stage_of("s1", offered_rps=offered, client={"sent": sent, "dropped": dropped},
                     server={"rps_all_traffic": achieved, "window_s": 22.0})
    assert stage.rate == pytest.approx(rate)
