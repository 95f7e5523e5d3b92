"""The open model: profile rules, the arrival schedule, HDR merging."""
import statistics
import time

import pytest

from loadtests.open_model import OpenSchedule, Retimed
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
    with pytest.raises(SpecError, match="stage b: an open-model profile declares rate_rps, saturation_share or predicted_knee_share in every stage"):
        _profile(tmp_path, text=OPEN.replace("rate_rps: 800", "users: 80"))


def test_the_shape_runs_one_dispatcher_per_process(tmp_path):
    assert users_at(_profile(tmp_path), 5, processes=3) == (3, 1000.0)
    assert users_at(_profile(tmp_path), 25, processes=3) is None


@pytest.mark.parametrize("arrival, processes, stage, mean_gap", [
    ("poisson", 1, 0, 1 / 200), ("poisson", 2, 1, 2 / 800), ("constant", 1, 1, 1 / 800),
], ids=["Poisson at 200 req/s", "Poisson split over two processes", "constant spacing"])
def test_inter_arrival_times_follow_the_declared_rate(tmp_path, arrival, processes, stage, mean_gap):
    sched = OpenSchedule(_profile(tmp_path, arrival), processes, seed=1)
    gaps = [sched.gap(sched.windows[stage]) for _ in range(20_000)]
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


def _dispatch(tmp_path, rate, seconds, max_concurrency, send):
    """Run a real dispatcher (gevent, real time) for one stage with a fake sender; returns what it counted."""
    text = (f"name: o\nkind: open\nmax_concurrency: {max_concurrency}\nsettle_s: 0\n"
            f"stages:\n  - {{{{name: a, rate_rps: {rate}, duration_s: {seconds}}}}}\n")  # _profile formats it
    counted = {"sent": 0, "dropped": 0}
    timed = []

    class Event:
        def fire(self, **meta):
            timed.append(meta["response_time"])

    retimed = Retimed(Event())
    sched = OpenSchedule(_profile(tmp_path, text=text), 1, seed=3,
                         on_arrival=lambda stage, dropped: counted.__setitem__("dropped" if dropped else "sent",
                                                                                counted["dropped" if dropped else "sent"] + 1))

    def one():
        send()
        retimed.fire(response_time=None)
    sched.run(one, retimed)
    return counted, timed


@pytest.mark.realtime
def test_sent_plus_dropped_is_the_rate_times_the_window(tmp_path):
    import gevent
    counted, timed = _dispatch(tmp_path, 400, 5, 1000, lambda: gevent.sleep(0.005))
    total = counted["sent"] + counted["dropped"]
    assert abs(total - 2000) <= 4 * 2000 ** 0.5 and counted["dropped"] == 0   # Poisson: sd = sqrt(2000)
    assert len(timed) == counted["sent"]


@pytest.mark.realtime
def test_arrivals_beyond_max_concurrency_are_dropped_and_counted(tmp_path):
    import gevent
    peak = {"now": 0, "max": 0}

    def slow():
        peak["now"] += 1
        peak["max"] = max(peak["max"], peak["now"])
        gevent.sleep(0.1)
        peak["now"] -= 1
    counted, _ = _dispatch(tmp_path, 400, 5, 5, slow)
    assert peak["max"] == 5   # never more in flight than allowed
    # 5 in flight at 0.1 s each serve about 50 a second: most of the 2,000 arrivals are dropped.
    assert counted["sent"] == pytest.approx(250, rel=0.2) and counted["dropped"] > 1500


@pytest.mark.realtime
def test_latency_is_timed_from_the_intended_start_through_a_stall(tmp_path):
    import time

    import gevent
    stalled = {"done": False}

    def send():
        if not stalled["done"] and time.perf_counter() - start[0] > 1.0:
            stalled["done"] = True
            time.sleep(0.3)  # the whole loop stalls (a GC pause, a blocked generator)
        gevent.sleep(0.001)
    start = [time.perf_counter()]
    _, timed = _dispatch(tmp_path, 400, 5, 1000, send)
    # Arrivals due during the 300 ms stall are sent late: from their intended start they waited for it.
    assert max(timed) >= 250
    assert sum(t > 100 for t in timed) >= 0.5 * 400 * 0.2   # at least half of those due in its first 200 ms
    assert sorted(timed)[len(timed) // 2] < 50               # the rest were not slowed


def _dispatch_while(tmp_path, stages: str, change) -> dict[int, list[float]]:
    """Dispatch an open profile of `stages` (no settle) while `change({"profile": ...})` runs beside it, as the
    generator's decisions do; when each stage's arrivals came, in seconds from the start, by window index."""
    import gevent
    current = {"profile": _profile(tmp_path, text="name: o\nkind: open\nsettle_s: 0\nstages:\n" + stages)}
    arrivals = {}
    sched = OpenSchedule(current["profile"], 1, seed=5, windows_now=lambda: current["profile"].windows(),
                         on_arrival=lambda stage, dropped: arrivals.setdefault(stage, []).append(
                             time.perf_counter() - sched.t0))
    gevent.spawn(change, current)
    sched.run(lambda: None, Retimed(type("E", (), {"fire": lambda self, **m: None})()))
    return arrivals


@pytest.mark.realtime
def test_a_stage_ended_at_a_look_ends_the_dispatch_there_and_the_next_stage_starts_at_once(tmp_path):
    """The generator ends a stage early while the dispatcher runs (HarnessDecisions.end_stage): the dispatcher asks
    for the windows at each arrival, so the first stage's arrivals stop at the cut and the second's rate starts there."""
    import gevent

    def cut_later(current):
        gevent.sleep(5.0)
        current["profile"] = current["profile"].ended_at("a", 5.3)
    arrivals = _dispatch_while(tmp_path, "  - {{name: a, rate_rps: 200, duration_s: 8}}\n"
                                         "  - {{name: b, rate_rps: 400, duration_s: 5}}\n", cut_later)
    # Stage a (200 req/s) ran to the cut at 5.3 s, not to 8 s; b (400 req/s) from 5.3 s to 10.3 s, its 5 s moved
    # 2.7 s earlier. An arrival is timed when its callback runs, which is never before its scheduled instant and may
    # be after it on a busy machine (a CI run saw 10.3034 s): the upper bounds allow a late wake-up, far short of the
    # 2.7 s the cut moves the stages by.
    late_s = 0.25
    assert 5.1 < max(arrivals[0]) < 5.3 + late_s and len(arrivals[0]) == pytest.approx(1060, abs=4 * 1060 ** 0.5)
    assert 5.3 <= min(arrivals[1]) < 5.4 + late_s and 10.1 < max(arrivals[1]) < 10.3 + late_s
    assert len(arrivals[1]) == pytest.approx(2000, abs=4 * 2000 ** 0.5)


@pytest.mark.realtime
def test_a_held_stage_sends_nothing_until_it_runs_again_at_its_own_rate(tmp_path):
    """The generator holds a stage while the dispatcher runs (Profile.held): no arrival from the hold to its end, then
    the stage runs again in full (a-again, a window the profile did not declare, at a's rate). The windows after it
    move later: tests/loadtests/test_holds.py."""
    import gevent

    def hold_later(current):
        gevent.sleep(1.0)
        current["profile"] = current["profile"].held("a", 1.5, 2.5)
        gevent.sleep(1.0)   # still slow at 2 s: the hold is moved on to 3.5 s
        current["profile"] = current["profile"].held("a", 1.5, 3.5)
    arrivals = _dispatch_while(tmp_path, "  - {{name: a, rate_rps: 200, duration_s: 5}}\n", hold_later)
    late_s = 0.3   # a callback runs at or after its instant (see the test above)
    assert 1.3 < max(arrivals[0]) < 1.5 + late_s and len(arrivals[0]) == pytest.approx(300, abs=4 * 300 ** 0.5)
    # a-again: 200 req/s from 3.5 s for 5 s.
    assert 3.5 <= min(arrivals[1]) < 3.6 + late_s and 8.3 < max(arrivals[1]) < 8.5 + late_s
    assert len(arrivals[1]) == pytest.approx(1000, abs=4 * 1000 ** 0.5)
