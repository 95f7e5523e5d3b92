"""Queue and compute apart, and the utilization law's saturation, from known answers."""
import pytest

from slo.verdicts.saturation import predicted_saturation, saturation_check, stage_serving


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
    got = predicted_saturation(stages, servers=1)
    assert got["demand_ms"] == 12.5 and got["saturation_rps"] == 80.0 and got["from_stages"] == ["a", "b"]
    assert predicted_saturation(stages, servers=2)["saturation_rps"] == 160.0


@pytest.mark.parametrize("collapsed_at, passed_at, expected", [
    (100, 60, []),
    (50, 40, ["collapsed at 50 req/s offered, well below the 80 req/s"]),
    (100, 95, ["passed at 95 req/s, above the 80 req/s the utilization law allows"]),
], ids=["a collapse past the predicted saturation is expected", "a collapse far below it is flagged",
        "a pass above it is flagged"])
def test_a_capacity_far_from_the_prediction_is_flagged(collapsed_at, passed_at, expected):
    predicted = {"saturation_rps": 80.0, "demand_ms": 12.5, "servers": 1}
    said = saturation_check(predicted, [_stage("x", collapsed_at, 30, 1.0, collapsed=True)], [passed_at, collapsed_at])
    assert len(said) == len(expected) and all(e in s for e, s in zip(expected, said))
