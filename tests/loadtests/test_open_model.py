"""The open model: profile rules, the arrival schedule, HDR merging."""
import json
import statistics

import pytest

from loadtests.open_model import OpenSchedule, merged_stage_figures
from loadtests.profile import load_profile
from loadtests.shape import users_at
from common.specfile import SpecError

OPEN = """
name: o
kind: open
arrival: {arrival}
settle_s: 1
stages:
  - {{name: a, rate_rps: 200, duration_s: 10}}
  - {{name: b, rate_rps: 800, duration_s: 10}}
"""


def _profile(tmp_path, arrival="poisson", text=OPEN):
    (tmp_path / "o.yaml").write_text(text.format(arrival=arrival))
    return load_profile(str(tmp_path / "o.yaml"))


def test_open_windows_offer_the_declared_rate_with_no_ramp(tmp_path):
    w = _profile(tmp_path).windows()
    assert [(x.offered_rps, x.measure_from_s) for x in w] == [(200, 1.0), (800, 11.0)]


def test_an_open_profile_needs_a_rate_in_every_stage(tmp_path):
    with pytest.raises(SpecError, match="stage b: a open-model profile declares rate_rps in every stage"):
        _profile(tmp_path, text=OPEN.replace("rate_rps: 800", "users: 80"))


def test_the_shape_runs_one_dispatcher_per_process(tmp_path):
    assert users_at(_profile(tmp_path), 5, processes=3) == (3, 1000.0)
    assert users_at(_profile(tmp_path), 25, processes=3) is None


@pytest.mark.parametrize("arrival, processes, stage, mean_gap", [
    ("poisson", 1, 0, 1 / 200), ("poisson", 2, 1, 2 / 800), ("constant", 1, 1, 1 / 800),
], ids=["Poisson at 200 req/s", "Poisson split over two processes", "constant spacing"])
def test_inter_arrival_times_follow_the_declared_rate(tmp_path, arrival, processes, stage, mean_gap):
    sched = OpenSchedule(_profile(tmp_path, arrival), processes, seed=1)
    gaps = [sched.gap(stage) for _ in range(20_000)]
    assert statistics.mean(gaps) == pytest.approx(mean_gap, rel=0.03)
    if arrival == "poisson":
        assert statistics.stdev(gaps) == pytest.approx(mean_gap, rel=0.05)  # exponential: sd = mean
    else:
        assert statistics.pstdev(gaps) == 0


def test_hdr_histograms_of_all_processes_are_merged_per_stage(tmp_path):
    for pid, values in ((1, [1.0] * 98 + [50.0] * 2), (2, [1.0] * 99 + [300.0])):
        sched = OpenSchedule(_profile(tmp_path), 2)
        sched.t0 = 0.0
        for v in values:
            sched.record(2.5, v)
        sched.dropped[0] = pid
        (tmp_path / f"client_hdr.{pid}.json").write_text(json.dumps(
            {s.name: {"hdr": sched.hdr[i].encode().decode(), "dropped": sched.dropped[i], "sent": len(values) * (i == 0)}
             for i, s in enumerate(sched.profile.stages)}))
    figures = merged_stage_figures(tmp_path)["a"]
    assert figures["hdr_count"] == 200 and figures["dropped"] == 3 and figures["sent"] == 200
    assert figures["hdr_p50_ms"] == pytest.approx(1.0, rel=0.01)
    assert figures["hdr_p99_ms"] == pytest.approx(50.0, rel=0.01)


@pytest.mark.parametrize("intended, stage", [(0.5, None), (2.5, 0), (10.5, None), (12.0, 1), (20.5, None)],
                         ids=["in the first settle", "measured in stage a", "in stage b's settle",
                              "measured in stage b", "after the last stage"])
def test_client_latencies_cover_the_measured_windows_the_server_figures_cover(tmp_path, intended, stage):
    sched = OpenSchedule(_profile(tmp_path), 1)
    sched.t0 = 0.0
    sched.record(intended, 7.0)
    assert [h.get_total_count() for h in sched.hdr] == [int(stage == i) for i in range(2)]


def test_the_schedule_is_anchored_at_the_runs_wall_clock_start(tmp_path):
    import time
    sched = OpenSchedule(_profile(tmp_path), 1)
    wall_start = time.time() - 3.0  # the timeline started 3 s before this dispatcher
    sched.start(wall_start)
    assert sched.measured_stage_at(time.perf_counter()) == 0  # 3 s in: past the 1 s settle of stage a
    assert sched.wall_t0 == wall_start
