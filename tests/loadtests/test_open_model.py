"""The open model: profile rules, the arrival schedule, HDR merging."""
import statistics

import pytest

from loadtests.open_model import OpenSchedule
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


@pytest.mark.parametrize("intended, stage", [(0.5, None), (2.5, 0), (10.5, None), (12.0, 1), (20.5, None)],
                         ids=["in the first settle", "measured in stage a", "in stage b's settle",
                              "measured in stage b", "after the last stage"])
def test_arrivals_count_in_the_measured_windows_the_server_figures_cover(tmp_path, intended, stage):
    sched = OpenSchedule(_profile(tmp_path), 1)
    sched.t0 = 0.0
    assert sched.measured_stage_at(intended) == stage


def test_the_schedule_is_anchored_at_the_runs_wall_clock_start(tmp_path):
    import time
    sched = OpenSchedule(_profile(tmp_path), 1)
    wall_start = time.time() - 3.0  # the timeline started 3 s before this dispatcher
    sched.start(wall_start)
    assert sched.measured_stage_at(time.perf_counter()) == 0  # 3 s in: past the 1 s settle of stage a
    assert sched.wall_t0 == wall_start
