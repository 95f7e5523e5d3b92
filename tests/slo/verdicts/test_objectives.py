"""Verdict logic, table-driven, on synthetic Prometheus answers."""
import math

import numpy as np
import pytest
from scipy import stats

from tests.slos import LINEAR_SLO
from tests.slo.fakes import evaluate_run as evaluate
from slo.file.load import load_slo
from tests.slo.fakes import make_run, steady

SPEC = load_slo(LINEAR_SLO)  # p50 10 (warn 8), p95 50 (40), p99 100 (80), mean 25 (20), errors 1 %, gate 1000 req/s


def _judge(tmp_path, stages):
    run = make_run(tmp_path / "run", SPEC, stages)
    return evaluate(run, SPEC, __import__("json").loads((run / "prometheus_raw.json").read_text()))


def _status(report, stage=0):
    return {o.name: o.status for o in report.stages[stage].objectives}


@pytest.mark.parametrize("latencies, objective, expected", [
    (steady(2), "p99", "pass"),
    (steady(2, tail_ms=90, tail_share=0.02), "p99", "warn"),
    (steady(2, tail_ms=200, tail_share=0.02), "p99", "fail"),
    (steady(9), "p50", "warn"),
    (steady(30), "mean", "fail"),
    (steady(22), "mean", "warn"),
], ids=["a fast stage passes", "a tail inside the warning band warns", "a tail past the threshold fails",
        "a median inside the warning band warns", "a slow mean fails", "a mean in the warning band warns"])
def test_latency_objectives(tmp_path, latencies, objective, expected):
    report = _judge(tmp_path, [{"name": "s1", "offered_rps": 100, "latencies": latencies, "all_traffic": 3000}])
    assert _status(report)[objective] == expected


@pytest.mark.parametrize("statuses, expected", [
    ({"200": 2990, "404": 10}, "pass"), ({"200": 29790, "500": 210}, "warn"), ({"200": 2900, "503": 100}, "fail"),
    ({"200": 2980, "500": 20}, "inconclusive"),
], ids=["4xx do not count as errors", "0.7 % of 30,000 answers 5xx warns", "3 % of 5xx fails",
        "0.7 % of 3,000 answers 5xx cannot be told from 1 %"])
def test_error_ratio_counts_5xx_only(tmp_path, statuses, expected):
    report = _judge(tmp_path, [{"name": "s1", "offered_rps": 100, "latencies": steady(2), "statuses": statuses}])
    assert _status(report)["errors"] == expected
    assert report.stages[0].server.errors_4xx == statuses.get("404", 0)


@pytest.mark.parametrize("kw, expected", [
    ({"up_min": 1}, "pass"), ({"up_min": 0}, "fail"), ({"up_min": None}, "no_data"),
], ids=["up all along", "down at some point", "no up series"])
def test_availability(tmp_path, kw, expected):
    report = _judge(tmp_path, [{"name": "s1", "offered_rps": 100, "latencies": steady(2), **kw}])
    assert _status(report)["availability"] == expected


@pytest.mark.parametrize("achieved, expected", [(3000, "pass"), (2900, "warn"), (2000, "fail")],
                         ids=["all offered load served", "96 % served warns", "two thirds served fails"])
def test_throughput_is_a_share_of_the_offered_load(tmp_path, achieved, expected):
    report = _judge(tmp_path, [{"name": "s1", "offered_rps": 100, "latencies": steady(2), "all_traffic": achieved}])
    assert _status(report)["throughput"] == expected


def test_missing_data_is_no_data_not_a_pass_and_the_run_cannot_be_judged(tmp_path):
    report = _judge(tmp_path, [{"name": "s1", "offered_rps": None, "latencies": [], "statuses": {}}])
    assert _status(report)["p99"] == "insufficient"   # no requests: fewer than min_samples, never judged
    assert report.verdict.exit_code == 2


def test_too_few_samples_are_insufficient(tmp_path):
    report = _judge(tmp_path, [{"name": "s1", "offered_rps": None, "latencies": steady(2, n=50)}])
    assert _status(report)["p99"] == "insufficient" and report.verdict.exit_code == 2


def test_a_counter_reset_inside_a_window_is_noted_and_the_stage_marked_incomplete(tmp_path):
    report = _judge(tmp_path, [{"name": "s1", "offered_rps": 100, "latencies": steady(2), "resets": 1}])
    server = report.stages[0].server
    assert not server.complete and "counter reset" in server.notes[0]


def test_stages_past_the_gate_are_reported_not_gated(tmp_path):
    report = _judge(tmp_path, [
        {"name": "s1", "offered_rps": 500, "latencies": steady(2), "all_traffic": 15000},
        {"name": "s2", "offered_rps": 1000, "latencies": steady(3), "all_traffic": 30000},
        {"name": "s3", "offered_rps": 4000, "latencies": steady(40, tail_ms=300, tail_share=0.05), "all_traffic": 90000},
    ])
    assert [s.gated for s in report.stages] == [True, True, False]
    assert report.verdict.exit_code == 0
    cap = report.capacity
    assert cap.highest_passing_stage == "s2" and cap.highest_passing_rps == 1000
    assert cap.first_failing_stage == "s3"
    assert {b["objective"] for b in cap.broken} >= {"p50", "p99", "mean"}


def test_a_failing_gated_stage_fails_the_run(tmp_path):
    report = _judge(tmp_path, [{"name": "s1", "offered_rps": 500, "latencies": steady(2, tail_ms=200, tail_share=0.03)}])
    assert report.verdict.status == "fail" and report.verdict.exit_code == 1


def test_the_mean_hiding_the_tail_is_called_out_in_one_sentence(tmp_path):
    report = _judge(tmp_path, [{"name": "s1", "offered_rps": 100, "latencies": steady(2, tail_ms=200, tail_share=0.03),
                                "all_traffic": 3000}])
    assert _status(report)["mean"] == "pass" and _status(report)["p99"] == "fail"
    [sentence] = report.sentences
    assert "the mean hides the tail" in sentence and "7.9 ms" in sentence and "p99" in sentence


def test_no_sentence_when_the_tail_is_fine(tmp_path):
    report = _judge(tmp_path, [{"name": "s1", "offered_rps": 100, "latencies": steady(2)}])
    assert report.sentences == []


# None slow of n: the zero-count minimum at 95 % is 368 independent requests; measured over the window's 30 scrape
# blocks (t with 29 df, Korn and Graubard), 368 x (t / z)^2 = 401.
ZERO_COUNT_30_BLOCKS = math.ceil(368 * (stats.t.ppf(0.975, 29) / stats.norm.ppf(0.975)) ** 2)


@pytest.mark.parametrize("n, expected, needed", [(300, "inconclusive", ZERO_COUNT_30_BLOCKS), (420, "pass", None)],
                         ids=["300 fast requests cannot prove a p99",
                              "420 fast requests can (the zero-count minimum at 95 % over 30 blocks: 401)"])
def test_a_stage_too_short_to_decide_its_p99_says_how_many_requests_would(tmp_path, n, expected, needed):
    report = _judge(tmp_path, [{"name": "s1", "offered_rps": None, "latencies": steady(2, n=n)}])
    p99 = {o.name: o for o in report.stages[0].objectives}["p99"]
    assert p99.status == expected and _status(report)["p50"] == "pass"
    assert p99.confidence.blocks == 30
    assert p99.confidence.requests_needed == needed
    if needed:  # n requests over the 30 s window: the stage needs needed / (n / 30) seconds
        assert p99.confidence.seconds_needed == pytest.approx(needed / (n / 30), abs=0.1)


def test_a_stage_whose_generator_was_saturated_cannot_be_the_capacity(tmp_path):
    from loadtests.client_figures import Merger
    from slo.reports.text import markdown
    run = make_run(tmp_path / "run", SPEC, [
        {"name": "s1", "offered_rps": 500, "latencies": steady(2), "all_traffic": 15000},
        {"name": "s2", "offered_rps": 1000, "latencies": steady(3), "all_traffic": 30000}])
    merged = Merger()
    for stage, cpu in (("s1", 3.0), ("s2", 7.6)):  # cpu seconds over an 8 s measured share: 0.38 then 0.95 core
        merged.add({"worker": "gen-1", "stages": {}, "stage_cpu": {stage: [cpu, 8.0]}})
    merged.save(run)
    report = evaluate(run, SPEC, __import__("json").loads((run / "prometheus_raw.json").read_text()))
    cap = report.capacity
    assert cap.generator_bound_stages == ["s2"]
    assert cap.highest_passing_stage == "s1"  # s2 passed too, but it measured the generator
    md = markdown(report)
    assert "Generator-bound: s2" in md and "| s2 | gen-1 | 0 | 0.95 | - | - | SATURATED: CPU 0.95 core >= 0.85 |" in md


@pytest.mark.parametrize("tl_stages, run_end, problems", [
    ([("s1", True), ("s2", True)], {"locust_exit_code": 0}, []),
    ([("s1", True), ("s2", False)], {}, ["gated stage(s) cut short: s2"]),
    ([("s1", True)], {}, ["gated stage(s) not reached: s2"]),
    ([("s1", True), ("s2", True)], {"locust_exit_code": -9}, ["Locust exited with code -9 (killed by a signal)"]),
    ([("s1", True), ("s2", True)], {"finals": {"expected": 2, "received": 1}},
     ["only 1 of 2 generator workers sent their final figures (a worker was lost mid-run)"]),
    ([("s1", True), ("s2", True)], {"interrupted": True}, ["the run was interrupted"]),
], ids=["a run that ran to its end is complete", "a stage cut short", "a stage never reached", "Locust killed",
        "a worker lost mid-run", "an interrupt between stages"])
def test_a_run_that_did_not_run_to_its_end_is_incomplete_exit_5(tmp_path, tl_stages, run_end, problems):
    from slo.verdicts.objectives import completeness, run_verdict
    from slo.verdicts.report import Stage
    from tests.slo.fakes import stage_row
    tl = {"planned": [{"name": "s1", "offered_rps": 100}, {"name": "s2", "offered_rps": 200}],
          "stages": [{"name": n, "offered_rps": 100, "completed": done} for n, done in tl_stages]}
    complete = completeness(tl, SPEC, run_end)
    assert complete.problems == problems
    passed = [Stage.model_validate(stage_row(n, gated=True)) for n, _ in tl_stages]
    verdict = run_verdict(passed, [], complete)
    assert (verdict.status, verdict.exit_code) == (("incomplete", 5) if problems else ("pass", 0))


@pytest.mark.parametrize("client, api_lag, parts, says", [
    ({"p99_ms": 22.0, "generator_loop_lag_p99_ms": 3.0}, 1.0, {"generator": 3.0, "api_event_loop": 1.0,
                                                                "unexplained": 10.6}, "10.6 ms unexplained"),
    ({"p99_ms": 8.0, "generator_loop_lag_p99_ms": 5.0}, None, {"generator": 0.6, "unexplained": 0.0},
     "the API's event-loop lag not measured"),
    ({"p99_ms": 30.0}, 2.0, {"api_event_loop": 2.0, "unexplained": 20.6}, "the generator's own lag not measured"),
], ids=["measured parts, the rest unexplained", "a part explains at most the gap", "what nothing measured is named"])
def test_the_client_server_gap_is_attributed_from_measurements(client, api_lag, parts, says):
    from slo.verdicts.client_gap import explain_gap
    server = {"quantiles": {"0.99": {"ms": 7.4}}, "api_loop_lag_p99_ms": api_lag}
    gap = explain_gap(client, server)
    assert gap["parts"] == parts and says in gap["cause"]
    assert gap["p99_gap_ms"] == pytest.approx(client["p99_ms"] - 7.4)


@pytest.mark.parametrize("client, flagged, noted", [
    ({"hdr_p99_ms": 333.6, "generator_send_lag_p99_ms": 4.0}, True, False),
    ({"hdr_p99_ms": 104.0, "generator_loop_lag_p99_ms": 9.0}, False, True),
    ({"hdr_p99_ms": 60.0}, False, False),
    ({"hdr_p99_ms": 333.6, "generator_send_lag_p99_ms": 4.0, "generator_bound": True}, False, True),
], ids=["users saw more than the generator's lag explains: flagged", "the generator's own lag explains it: a note",
        "the client's tail within the objective: nothing", "a saturated generator's client figures: a note, no flag"])
def test_a_quantile_met_on_the_server_but_broken_at_the_client_is_flagged(client, flagged, noted):
    from slo.verdicts.client_gap import client_tail_breaks
    stage = {"name": "s4", "client": client, "gap": {"cause": "x"}, "server": {"notes": []},
             "objectives": [{"kind": "latency_quantile", "name": "p99", "quantile": 0.99, "status": "pass",
                             "measured": 21.0, "threshold": 100.0}]}
    lines = client_tail_breaks(stage)
    assert bool(lines) is flagged and bool(stage["server"]["notes"]) is noted
    if flagged:
        assert "p99 passed on the server (21.0 ms) but the client measured 333.6 ms" in lines[0]


def test_a_recording_that_cannot_be_read_makes_the_run_untrusted_not_silently_trusted(tmp_path):
    run = make_run(tmp_path / "run", SPEC, [{"name": "s1", "offered_rps": 100, "latencies": steady(2),
                                             "all_traffic": 3000}])
    (run / "predictions.db").write_text("not a database at all, just text" * 100)
    report = evaluate(run, SPEC, __import__("json").loads((run / "prometheus_raw.json").read_text()))
    assert report.verdict.status == "untrusted" and report.verdict.exit_code == 2
    assert any("the API's recording cannot be read" in n for n in report.stages[0].server.notes)


def _generator_kept(run, latencies_s: list[float], start: float, seconds: float) -> None:
    """The generator's record of a stage's answers (sent_predictions.db), each timed at `latencies_s`, spread evenly
    over its window."""
    from api.record_schema import Writer, connect
    conn = connect(run / "sent_predictions.db", wal=False)
    step = seconds / len(latencies_s)
    Writer(conn).write([(f"id{i}", start + (i + 0.5) * step, "/predict", None, "{}", 0.5, 0, lat, "v", 1)
                        for i, lat in enumerate(latencies_s)])
    conn.close()


@pytest.mark.parametrize("extra_ms, read", [
    (lambda rng, n: 1.0 + rng.exponential(0.5, n), True),
    (lambda rng, n: 1.0 + 300.0 * (rng.random(n) < 0.1), False),
], ids=["the generator's latencies, a millisecond or two over the server's, read the stage's tail",
        "a tail the server never timed (a tenth queued 300 ms before its clock started) is not read"])
def test_where_the_api_records_nothing_each_quantiles_tail_is_read_from_the_generators_latencies(tmp_path, extra_ms,
                                                                                                read):
    """Latencies Exp(mean 20 ms): p99's 100 ms holds exp(-5), 0.67 % of requests, over it."""
    rng = np.random.default_rng(5)
    server = list(rng.exponential(0.020, 3000))
    run = make_run(tmp_path / "run", SPEC, [{"name": "s1", "offered_rps": 100, "latencies": server,
                                             "all_traffic": 3000}])
    seen = np.array(server) + extra_ms(rng, len(server)) / 1000
    _generator_kept(run, list(seen), 1010.0, 30.0)
    report = evaluate(run, SPEC, __import__("json").loads((run / "prometheus_raw.json").read_text()))
    tails = {o.name: o.confidence.tail for o in report.stages[0].objectives if o.name in ("p50", "p95", "p99")}
    if not read:
        assert tails == {"p50": None, "p95": None, "p99": None}
        return
    assert {t["source"] for t in tails.values()} == {"generator"}
    assert 0.004 < math.exp(tails["p99"]["log_share"]) < 0.011, tails["p99"]


def _cap_stage(name, offered, achieved, status, collapsed=False, bound=False):
    from tests.slo.fakes import stage_of
    return stage_of(name, offered_rps=offered, status=status, collapsed=collapsed, window={"seconds": 20.0},
                    server={"rps_all_traffic": achieved}, client={"generator_bound": bound})


@pytest.mark.parametrize("stages, interval, closed_width, collapsed", [
    ([_cap_stage("a", 40, 39, "pass"), _cap_stage("b", 46, 45, "fail")], [40, 46], 0.15, []),
    ([_cap_stage("a", 40, 39, "pass"), _cap_stage("b", 46, 45, "inconclusive"), _cap_stage("c", 52, 51, "fail")],
     [40, 52], 0.3, []),
    ([_cap_stage("a", 20, 20, "pass"), _cap_stage("b", 40, 37.4, "fail"), _cap_stage("c", 70, 7.5, "fail", True)],
     [20, 40], 1.0, ["c"]),
    ([_cap_stage("a", 40, 39, "pass"), _cap_stage("b", 80, 60, "pass", bound=True)], [40, None], None, []),
], ids=["the ends are the offered rates of the confident pass and the confident failure",
        "an inconclusive stage between them lies inside and moves neither end",
        "a collapsed stage never sets the ceiling by the little it got through",
        "a generator-bound stage is neither end: the interval stays open"])
def test_a_runs_capacity_interval(stages, interval, closed_width, collapsed):
    from slo.verdicts.capacity import capacity
    cap = capacity(stages)
    assert cap.interval_rps == interval and cap.rates == "offered"
    assert cap.closed == (closed_width is not None) and cap.width == closed_width
    assert [c["stage"] for c in cap.collapsed_stages] == collapsed


def test_a_generator_bound_stage_says_how_many_generators_its_rate_takes():
    from slo.verdicts.capacity import generators_needed
    # One process sent 20,000 requests in 10 s at 0.8 core: 2,500 per CPU-second; 6,000 req/s at half a core each
    # takes 6,000 / 1,250 = 4.8, so 5 processes.
    from tests.slo.fakes import stage_of
    def stage(cores):
        return stage_of("s6", offered_rps=6000, window={"seconds": 10.0}, server={"rps_all_traffic": 2400},
                        client={"workers": {"gen-1": {"requests": 20000, "cpu_cores": cores}}})
    assert generators_needed(stage(0.8)) == {"requests_per_cpu_s": 2500, "processes": 1, "needed": 5}
    assert generators_needed(stage(None)) is None


@pytest.mark.parametrize("seconds, said", [
    (10, "or repeat the run 3 times (--repeat 3, pooled)"),
    (40, "or repeat the run 5 times (--repeat 5, pooled)"),
    (95, "or repeat the run 7 times (--repeat 7, pooled)"),
    (2000, "or repeat the run over 50 times (more than a repeat set holds: lengthen it)"),
], ids=["less than a window: three runs, the fewest advised",
        "a little more than one window: five, since three runs' spread has 2 df and leaves them a fifth of their size",
        "the windows the length needs and more: the runs' df shrink what each adds",
        "more runs than a repeat set holds: lengthen"])
def test_advice_says_how_many_repeats_hold_what_lengthening_would(seconds, said):
    from slo.verdicts.objectives import advice
    from slo.verdicts.report import ObjectiveResult, Stage
    from tests.slo.fakes import stage_row
    stage = Stage.model_validate(stage_row(window={"start": 1000.0, "end": 1022.0, "seconds": 22.0}))
    objective = ObjectiveResult(name="p99", kind="latency_quantile", status="inconclusive", confidence={
        "level": 0.95, "low": 0.004, "high": 0.016, "limit": 0.01, "seconds_needed": seconds})
    got = advice(stage, objective)
    assert f"lengthen s1 to about {seconds} s measured, {said}" in got
