"""Queue and compute apart, and the utilization law's saturation, from known answers."""
import math

import pytest

from slo.verdicts.saturation import predicted_saturation, saturation_check, stage_serving
from tests.slo.fakes import judged_stages, queue_stage


def _answer(value):
    return {"result": [{"metric": {}, "value": [0, str(value)]}]}


def _entry(window_s=20.0, **values):
    return {"window_s": window_s, "answers": {k: _answer(v) for k, v in values.items()}}


SERVER = {"mean_ms": 40.0, "quantiles": {"0.99": {"ms": 120.0}}}


def test_waiting_and_computing_are_told_apart():
    # 1,000 predictions in 20 s, each waiting 28 ms on average and taking 12 ms: the predictor busy 60 % of the time.
    got = stage_serving(_entry(wait_count=1000, wait_sum=28.0, wait_p99=0.09, compute_count=1000, compute_sum=12.0,
                               batch_sum=1000, in_flight_max=6), SERVER)
    assert got["wait_mean_ms"] == 28.0 and got["compute_mean_ms"] == 12.0 and got["busy_s_per_s"] == 0.6
    assert got["wait_share_mean"] == 0.7 and got["wait_share_p99"] == 0.75 and got["batch_mean"] == 1.0


def test_micro_batches_count_requests_per_call():
    got = stage_serving(_entry(wait_count=1000, wait_sum=5.0, compute_count=125, compute_sum=2.5, batch_sum=1000),
                        SERVER)
    assert got["batch_mean"] == 8.0 and got["compute_mean_ms"] == 20.0 and got["busy_s_per_s"] == 0.125


def test_a_target_without_the_histograms_has_no_serving_figures():
    assert stage_serving(_entry(), SERVER) is None


def _stage(name, offered, achieved, busy, collapsed=False, seconds=20.0):
    return {"name": name, "offered_rps": offered, "collapsed": collapsed, "window": {"seconds": seconds},
            "server": {"rps_all_traffic": achieved, "serving": {"busy_s_per_s": busy}}}


def test_the_utilization_law_puts_saturation_at_servers_over_demand():
    # 40 req/s keeping the predictor 50 % busy: 12.5 ms of prediction a request, so 80 req/s on one process.
    stages = [_stage("a", 40, 40, 0.5), _stage("b", 60, 60, 0.75), _stage("c", 200, 80, 1.0, collapsed=True)]
    got = predicted_saturation(judged_stages(stages), servers=1)
    assert got["demand_ms"] == 12.5 and got["saturation_rps"] == 80.0 and got["from_stages"] == ["a", "b"]
    assert predicted_saturation(judged_stages(stages), servers=2)["saturation_rps"] == 160.0


@pytest.mark.parametrize("collapsed_at, passed_at, expected", [
    (100, 60, []),
    (50, 40, ["collapsed at 50 req/s offered, well below the 80 req/s"]),
    (100, 95, ["passed at 95 req/s, above the 80 req/s the utilization law allows"]),
], ids=["a collapse past the predicted saturation is expected", "a collapse far below it is flagged",
        "a pass above it is flagged"])
def test_a_capacity_far_from_the_prediction_is_flagged(collapsed_at, passed_at, expected):
    predicted = {"saturation_rps": 80.0, "demand_ms": 12.5, "servers": 1}
    said = saturation_check(predicted, judged_stages([_stage("x", collapsed_at, 30, 1.0, collapsed=True)]),
                            [passed_at, collapsed_at])
    assert len(said) == len(expected) and all(e in s for e, s in zip(expected, said))


SERVICE_MS, P50_MS = 12.0, 40.0
TRUE_SHARE = 1 - SERVICE_MS * math.log(2) / P50_MS    # where p50's share crosses one half: 79.2 % of saturation


@pytest.mark.parametrize("speeds, in_rps_order", [
    ([1.0] * 6, True),
    ([1.0, 1.0, 1.0, 1.12, 1.0, 1.0], False),
], ids=["a machine of one speed: the knee's share of saturation is the queue's own",
        "a stage on a machine 12 % slower is out of order in req/s, in its place as a share of saturation moved to "
        "the typical speed (at its own share, the fit missed the knee's share by up to 1.5 points)"])
def test_the_knee_as_a_share_of_the_saturation_each_stage_measured(speeds, in_rps_order):
    from slo.verdicts import knee
    from slo.verdicts.knee_speed import knee_share
    saturation = 1000 / SERVICE_MS
    rates = [round(share * saturation, 2) for share in (0.55, 0.62, 0.68, 0.74, 0.8, 0.86)]
    # A slower machine keeps its rate but costs more a prediction; the threshold stays what the SLO file says.
    stages = [queue_stage(f"s{i}", r, SERVICE_MS * k, P50_MS) for i, (r, k) in enumerate(zip(rates, speeds))]
    got = knee_share(judged_stages(stages), servers=1, level=0.95)
    assert got.estimate_pct == pytest.approx(100 * TRUE_SHARE, abs=0.05)
    assert got.interval_pct[0] <= 100 * TRUE_SHARE <= got.interval_pct[1]
    in_order = not knee.envelope(knee.points_of(judged_stages(stages), "p50", lambda s: s.offered_rps))[1]
    assert in_order is in_rps_order


SLOWED_MS, SLOWED_P50_MS = 30.0, 75.0   # a busy loop on the API's core for a whole default run, the shipped p50
SLOWED_KNEE_RPS = (1 - SLOWED_MS * math.log(2) / SLOWED_P50_MS) * 1000 / SLOWED_MS   # 72.3 % of saturation: 24.1


@pytest.mark.parametrize("divisor, interval", [(1.0, True), (6.0, False), (20.0, False)], ids=[
    "stages whose shares are known well enough: the fit has its interval, and its crossing is the same",
    "stages whose slow requests come together (six to an independent one): a crossing without an interval",
    "twenty to one: the crossing still lies near the queue's knee"])
def test_every_stage_under_the_knee_still_puts_the_fits_crossing_near_it(divisor, interval):
    """A busy loop on the API's core for a whole default run: the stages at 42 to 64 % of saturation, p50's share
    rising to 40 % over its threshold, 400 requests each. Where the fit gives no interval there is no knee's share,
    but its crossing says where a step tells the fit the most (slobench.steering.past_the_crossing)."""
    from slo.verdicts.knee_speed import knee_reach_rps, knee_share
    stages = [queue_stage(f"s{i}", round(u * 1000 / SLOWED_MS, 2), SLOWED_MS, SLOWED_P50_MS, n=400, counted=True)
              for i, u in enumerate((0.42, 0.47, 0.55, 0.58, 0.60, 0.64))]
    for s in stages:
        s["objectives"][0]["confidence"]["divisor"] = divisor
    assert (knee_share(judged_stages(stages), 1, 0.95) is not None) is interval
    assert knee_reach_rps(judged_stages(stages), 1, 0.95) == pytest.approx(SLOWED_KNEE_RPS, rel=0.02)
    for s in stages:
        s["server"]["serving"] = None
    assert knee_reach_rps(judged_stages(stages), 1, 0.95) is None


def _just_past_saturation(share: float, divisor: float, collapsed: bool) -> dict:
    """A stage measured at 101 % of its saturation, `share` of its 400 requests over p50's threshold."""
    from slo.stats.confidence import clopper_pearson
    rate = round(1.01 * 1000 / SLOWED_MS, 2)
    low, high = clopper_pearson(share * 400 / divisor, 400 / divisor, 0.95)
    return {"name": "past", "offered_rps": rate, "collapsed": collapsed,
            "objectives": [{"name": "p50", "kind": "latency_quantile", "status": "fail",
                            "confidence": {"low": low, "high": high, "limit": 0.5, "requests": 400,
                                           "counted": share * 400, "divisor": divisor}}],
            "server": {"rps_all_traffic": rate, "serving": {"busy_s_per_s": 1.01}}}


@pytest.mark.parametrize("divisor, collapsed, leans_on_it", [(6.0, False, True), (6.0, True, False),
                                                              (1.0, False, False)], ids=[
    "the stages under saturation leave no interval: the fit leans on a stage just past it whose queue held",
    "a stage just past saturation whose queue grew through its window is no point of the line",
    "the stages under saturation give an interval: the stage past it stays out"])
def test_a_fit_left_without_an_interval_leans_on_a_stage_measured_just_past_saturation(divisor, collapsed,
                                                                                         leans_on_it):
    """A quiet default run whose machine ran slower in its stages than in its probe measured its top knee stages at
    101 % of saturation, throughput held (slo/verdicts/knee_speed.NEAR_SATURATION): the stages under it, their slow
    requests coming together, left the knee's share no interval. With it, the interval holds the queue's knee."""
    from slo.verdicts.knee_speed import knee_share
    stages = [queue_stage(f"s{i}", round(u * 1000 / SLOWED_MS, 2), SLOWED_MS, SLOWED_P50_MS, n=400, counted=True)
              for i, u in enumerate((0.42, 0.47, 0.55, 0.58, 0.60, 0.64))]
    for s in stages:
        s["objectives"][0]["confidence"]["divisor"] = divisor
    got = knee_share(judged_stages([*stages, _just_past_saturation(0.85, divisor, collapsed)]), 1, 0.95)
    assert (got is not None and "past" in got.stages) is leans_on_it
    if got is not None:
        true_pct = 100 * SLOWED_KNEE_RPS * SLOWED_MS / 1000
        assert got.interval_pct[0] <= true_pct <= got.interval_pct[1], (got.interval_pct, true_pct)


def test_a_stage_that_kept_the_predictor_busy_all_the_time_is_left_out_of_the_knees_fit():
    """Its queue was growing through its window: its share over the threshold is wherever the queue had got to (here
    60 %, where a stationary queue at that load would have every request over it), not a point of the line."""
    from slo.verdicts.knee_speed import knee_share
    rates = [round(share * 1000 / SERVICE_MS, 2) for share in (0.55, 0.62, 0.68, 0.74, 0.8, 0.86, 1.02)]
    stages = [queue_stage(f"s{i}", r, SERVICE_MS, P50_MS) for i, r in enumerate(rates)]
    stages[-1]["objectives"][0]["confidence"].update(low=0.597, high=0.603, counted=0.6 * 100_000)
    got = knee_share(judged_stages(stages), servers=1, level=0.95)
    assert "s6" not in got.stages and "s5" in got.stages
    assert got.estimate_pct == pytest.approx(100 * TRUE_SHARE, abs=0.05)


def test_two_processes_halve_each_ones_share_and_without_the_histograms_there_is_none():
    from slo.verdicts.knee_speed import knee_share
    rates = [round(share * 1000 / SERVICE_MS, 2) for share in (0.55, 0.62, 0.68, 0.74, 0.8, 0.86)]
    stages = [queue_stage(f"s{i}", r, SERVICE_MS, P50_MS) for i, r in enumerate(rates)]
    one, two = knee_share(judged_stages(stages), 1, 0.95), knee_share(judged_stages(stages), 2, 0.95)
    assert two.estimate_pct == pytest.approx(one.estimate_pct / 2, abs=0.01)
    for s in stages:
        s["server"]["serving"] = None
    assert knee_share(judged_stages(stages), 1, 0.95) is None


def _judged(name: str, rate: float, service_ms: float, threshold_ms: float = P50_MS, **kind) -> dict:
    """_knee_stage judged (p50 unless `kind` says): it passes or fails where its interval lies wholly on one side of
    its limit."""
    s = queue_stage(name, rate, service_ms, threshold_ms, **kind)
    o, c = s["objectives"][0], s["objectives"][0]["confidence"]
    c["level"] = 0.95
    o.update(measured=threshold_ms, threshold=threshold_ms, unit="ms")   # what capacity's first broken stage reports
    limit = c["limit"]
    o["status"] = s["status"] = "pass" if c["high"] < limit else "fail" if c["low"] > limit else "inconclusive"
    return s


# The knee of the typical stage (12 ms a prediction) lies at 79.2 % of 83.3 req/s: 66 req/s.
KNEE_RPS = TRUE_SHARE * 1000 / SERVICE_MS


LADDER = (0.55, 0.62, 0.68, 0.74, 0.8, 0.86, 0.95)   # shares of the typical stage's saturation


@pytest.mark.parametrize("speeds, predictor_share, rates, holds_at_offered", [
    ([1.0] * 7, 1.0, "at the typical speed", True),
    ([1.0, 1.0, 1.0, 1.0, None, 0.85, 1.0], 1.0, "at the typical speed", False),
    ([1.0] * 7, 0.1, "offered", True),
    ([1.0] * 7, None, "offered", True),
], ids=["a machine of one speed: the same interval as at the rates offered, and it holds the knee",
        "a stage run while the machine was 15 % faster passed above the knee: at the rates offered it set the low "
        "end past the knee, at its utilization it sets nothing there",
        "a knee at a tenth of the predictor's saturation (a linear model's): something else saturates, rates offered",
        "without the prediction histogram: the rates offered"])
def test_the_capacity_at_the_runs_typical_speed(speeds, predictor_share, rates, holds_at_offered):
    from slo.verdicts.capacity import capacity
    saturation = 1000 / SERVICE_MS
    stages = [_judged(f"s{i}", round(k * saturation, 2), SERVICE_MS * speed)
              for i, (k, speed) in enumerate(zip(LADDER, speeds)) if speed is not None]
    for s in stages:
        if predictor_share is None:
            s["server"]["serving"] = None
        else:
            s["server"]["serving"]["busy_s_per_s"] *= predictor_share
    got = capacity(judged_stages(stages))
    low, high = got.interval_rps
    assert got.rates == rates
    assert (low <= KNEE_RPS <= high) is (holds_at_offered or rates != "offered"), (low, KNEE_RPS, high)
    offered = capacity(judged_stages([{**s, "server": {**s["server"], "serving": None}} for s in stages]))
    assert (offered.interval_rps[0] <= KNEE_RPS <= offered.interval_rps[1]) is holds_at_offered
    if rates == "at the typical speed" and holds_at_offered:
        assert got.interval_rps == pytest.approx(offered.interval_rps, abs=0.15)
    assert (got.speed is None) is (rates == "offered")


@pytest.mark.parametrize("predictor_share, rates", [
    (1.0, "at the typical speed"),
    (0.1, "offered"),
], ids=["the predictor busy 95 % of the time where the queue built: the bracket at the typical speed",
        "the predictor mostly idle there (a linear model's): the rates offered"])
def test_without_a_fitted_knee_the_busy_predictor_says_whether_the_bracket_is_placed_by_speed(predictor_share, rates):
    """Three stages are too few to fit the knee's share; the bracket alone (a pass at 62 %, a failure at 95 % of the
    typical stage's saturation, the pass run while the machine was 10 % slower) is stated at the typical speed where
    the prediction is what saturates."""
    from slo.verdicts.capacity import capacity
    saturation = 1000 / SERVICE_MS
    stages = [_judged(f"s{i}", round(k * saturation, 2), SERVICE_MS * speed)
              for i, (k, speed) in enumerate(zip((0.55, 0.62, 0.95), (1.0, 1.1, 1.0)))]
    for s in stages:
        s["server"]["serving"]["busy_s_per_s"] *= predictor_share
    got = capacity(judged_stages(stages))
    assert got.knee_share is None and got.rates == rates
    if rates == "offered":
        assert got.interval_rps == [stages[1]["offered_rps"], stages[2]["offered_rps"]]
    else:
        # the pass, at its own utilization on a machine 10 % slower, placed where the typical speed holds its queue
        low_pct = 100 * (1 - (1 - stages[1]["offered_rps"] * SERVICE_MS * 1.1 / 1000) / 1.1)
        assert got.speed.bracket_pct == [pytest.approx(low_pct, abs=0.1), pytest.approx(95.0, abs=0.1)]
        assert got.speed.decided_by == ["bracket", "bracket"]


@pytest.mark.parametrize("shares, threshold_ms, interval_pct, decided_by", [
    ((0.55, 0.62, 1.24), P50_MS, [62.0, 100.0], ["bracket", "saturation"]),
    ((0.55, 0.62, 0.92), 400.0, [92.0, 100.0], ["bracket", "saturation"]),
    ((0.55, 0.62, 0.95), P50_MS, [62.0, 95.0], ["bracket", "bracket"]),
], ids=["the lowest confident failure past the saturation (the stages between named slowed): the high end at the "
        "saturation itself",
        "nothing failed, the predictor busy 92 % of the time: the saturation still bounds the knee",
        "a failure under the saturation is the high end"])
def test_the_knee_lies_under_the_saturation_whatever_the_stages_showed(shares, threshold_ms, interval_pct, decided_by):
    from slo.verdicts.capacity import capacity
    saturation = 1000 / SERVICE_MS
    got = capacity(judged_stages([_judged(f"s{i}", round(k * saturation, 2), SERVICE_MS, threshold_ms)
                                  for i, k in enumerate(shares)])).speed
    assert got.interval_pct == [pytest.approx(v, abs=0.1) for v in interval_pct]
    assert got.decided_by == decided_by
    assert got.interval_rps[1] == pytest.approx(interval_pct[1] / 100 * saturation, abs=0.1)


P95_MS = 300.0   # the shipped SLO file's p95: a knee near 85 % of saturation at 16 ms a prediction, as measured here


def _p95_stages(demand_ms: float, n: int = 600) -> list:
    """A default-like ladder (shares of the run's own saturation) on an M/M/1 API whose prediction took `demand_ms`:
    p95's share over 300 ms as the stationary queue has it, counted over n requests a stage (a knee stage's 300 to
    700)."""
    return judged_stages([_judged(f"s{i}", round(k * 1000 / demand_ms, 2), demand_ms, P95_MS, n=n, quantile=0.95,
                                  counted=True) for i, k in enumerate((0.5, 0.67, 0.75, 0.84, 0.92))])


def _knee_rps(demand_ms: float) -> float:
    return (1 - math.log(20) * demand_ms / P95_MS) * 1000 / demand_ms


SPEEDS = (16.0, 18.5, 15.8)   # ms a prediction in three runs in a row: five quiet runs here took 15.8 to 18.5


@pytest.mark.parametrize("earlier, usual_ms", [
    ((18.5, 15.8), 16.0),
    ((16.0, 15.8), 16.0),
    ((16.0,), None),
    ((), None),
], ids=["the middle run of three: the median speed is its own, and the interval with it",
        "the slow run of three: apart from the others in req/s at its own speed, with them at the usual one",
        "one earlier run: too few to say what is usual",
        "the first run: nothing to compare"])
def test_the_capacity_at_the_machines_usual_speed_across_the_runs_like_this_one(earlier, usual_ms):
    from types import SimpleNamespace
    from slo.file.load import load_slo
    from slo.verdicts.capacity import capacity
    from stack.procs import ROOT
    spec = load_slo(ROOT / "slo" / "slos.yaml")
    like = [SimpleNamespace(capacity=capacity(_p95_stages(ms))) for ms in earlier]
    own_ms = next(ms for ms in SPEEDS if ms not in earlier)
    got = capacity(_p95_stages(own_ms), like=like, spec=spec)
    low, high = got.interval_rps
    assert low <= _knee_rps(own_ms) <= high   # at its own speed, its own knee
    if usual_ms is None:
        assert got.usual_speed is None
        return
    usual = got.usual_speed
    assert (usual.runs, usual.usual_demand_ms, usual.ratio) == (3, usual_ms, round(own_ms / usual_ms, 3))
    u_low, u_high = usual.interval_rps
    assert u_low <= _knee_rps(usual_ms) <= u_high   # the knee at the usual speed, the share moved as the queue's
    others = [capacity(_p95_stages(ms)).interval_rps for ms in earlier]
    if own_ms != usual_ms:   # at its own speed, apart from a run at the usual one; at the usual speed, with it
        assert any(high < o_low or o_high < low for o_low, o_high in others)
        assert all(u_low <= o_high and o_low <= u_high for o_low, o_high in others)
    else:
        assert usual.interval_rps == got.interval_rps and usual.shift_pct == 0
