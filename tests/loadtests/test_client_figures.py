"""Client figures without a shared disk: per-process HDR histograms, counts and CPU, merged exactly by the master."""
import json
import random

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram

from loadtests.client_figures import Merger, StageRecorder, stage_figures
from runfolder import files
from loadtests.profile import load_profile
from tests.profiles import closed_profile

STAGES = {"name": "a", "measure_from": 1002.0, "end": 1010.0}


@pytest.fixture
def profile(tmp_path):
    (tmp_path / "p.yaml").write_text(closed_profile("p", ("a", 10, 100, 10), ("b", 20, 100, 10), settle_s=2))
    return load_profile(str(tmp_path / "p.yaml"))


def _recorder(profile, worker):
    r = StageRecorder(profile, worker=worker)
    r.wall_start = 1000.0
    return r


@pytest.mark.parametrize("ts, stage", [(1001.0, None), (1005.0, "a"), (1011.0, None), (1015.0, "b"), (1025.0, None)],
                         ids=["in stage a's ramp and settle", "measured in stage a", "in stage b's settle",
                              "measured in stage b", "after the last stage"])
def test_requests_count_in_the_measured_window_they_completed_in(profile, ts, stage):
    r = _recorder(profile, "w")
    r.add("/predict", 5.0, True, 200, ts=ts)
    assert [k.split("|")[0] for k in r.delta()["stages"]] == ([stage] if stage else [])


def test_deltas_from_several_processes_in_any_order_merge_to_the_exact_percentiles(profile, tmp_path):
    rng = random.Random(7)
    latencies = {w: [rng.lognormvariate(1, 1) for _ in range(5000)] for w in ("w1", "w2", "w3")}
    deltas = []
    for w, values in latencies.items():
        r = _recorder(profile, w)
        for i, v in enumerate(values):
            r.add("/predict", v, True, 200, ts=1002.5 + 7 * i / len(values))
            if i % 1000 == 999:
                deltas.append(r.delta())  # a report to the master every so often
        deltas.append(r.delta())
    merged = Merger()
    for d in random.Random(1).sample(deltas, len(deltas)):
        merged.add(json.loads(json.dumps(d)))  # through the wire format
    merged.save(tmp_path)
    figures = stage_figures(files.CLIENT_STATS.read(tmp_path), STAGES, "/predict")
    everything = np.concatenate([np.array(v) for v in latencies.values()])
    assert figures["requests"] == 15000 == figures["status_200"]
    for q in (50, 95, 99):
        exact = float(np.percentile(everything, q))
        assert figures[f"p{q}_ms"] == pytest.approx(exact, rel=0.002, abs=0.002), q  # 3 significant digits


def test_each_generator_process_reports_its_requests_and_cpu_and_a_busy_one_marks_the_stage(profile, tmp_path):
    merged = Merger()
    merged.add({"worker": "idle", "stages": {"a|/predict": {"hdr": HdrHistogram(1, 120_000_000, 3).encode().decode(),
                                                           "requests": 10, "failures": 0, "no_response": 0,
                                                           "status_200": 10}},
                "stage_cpu": {"a": [0.8, 8.0]}})
    merged.add({"worker": "busy", "stages": {}, "stage_cpu": {"a": [7.6, 8.0]}})
    merged.save(tmp_path)
    figures = stage_figures(files.CLIENT_STATS.read(tmp_path), STAGES, "/predict")
    assert figures["workers"]["idle"] == {"requests": 10, "cpu_cores": 0.1, "saturated": False, "why": [],
                                          "loop_lag_p99_ms": None, "send_lag_p99_ms": None, "stalled": False}
    assert figures["workers"]["busy"]["saturated"] and figures["generator_bound"]
    assert figures["workers"]["busy"]["why"] == ["CPU 0.95 core >= 0.85"]
    assert figures["generator_cpu_cores"] == pytest.approx(1.05)


@pytest.mark.parametrize("loop_ms, send_ms, cpu_s, bound, stalled", [
    (0.3, 0.5, 0.8, False, False), (25.0, 0.5, 4.8, True, False), (0.3, 40.0, 5.6, True, False),
    (0.3, 40.0, 0.8, False, True), (11.0, 11.5, 0.5, False, True)],
    ids=["a prompt generator is not bound", "a late event loop in a busy process binds it",
         "requests sent late against their schedule by a busy process bind it",
         "sends late while the process idled are the machine pausing it, not a bound",
         "its loop late while it idled too (11 ms at 0.06 core, measured beside Prometheus)"])
def test_the_generators_own_lateness_is_measured_and_can_bind_a_stage(profile, tmp_path, loop_ms, send_ms, cpu_s, bound,
                                                                      stalled):
    r = _recorder(profile, "w")
    for i in range(1000):  # the p99 is the 990th of 1,000 samples: 20 of them at the late value
        late = i >= 980
        r.lag("loop", (loop_ms if late else 0.1) / 1000, ts=1003 + i / 200)
        r.lag("send", (send_ms if late else 0.1) / 1000, ts=1003 + i / 200)
    r.cpu = {0: [cpu_s, 8.0]}
    merged = Merger()
    merged.add(json.loads(json.dumps(r.delta())))
    merged.save(tmp_path)
    figures = stage_figures(files.CLIENT_STATS.read(tmp_path), STAGES, "/predict")
    w = figures["workers"]["w"]
    assert w["loop_lag_p99_ms"] == pytest.approx(loop_ms, rel=0.01) and w["send_lag_p99_ms"] == pytest.approx(send_ms, rel=0.01)
    assert w["saturated"] is bound and figures["generator_bound"] is bound
    assert w["stalled"] is stalled and figures["machine_stall"] is stalled
    assert figures["generator_loop_lag_p99_ms"] == w["loop_lag_p99_ms"]


def test_a_recorder_holds_no_more_memory_after_a_report(profile):
    r = _recorder(profile, "w")
    for i in range(20000):
        r.add("/predict", 3.0, True, 200, ts=1003 + i / 5000)
    r.delta()
    assert r.hdr == {} and r.counts == {} and r.seconds.seconds == {}
