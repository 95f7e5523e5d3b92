"""The shape is pure in elapsed time: driven here with a fake clock."""
import pytest

from loadtests import timeline
from loadtests.profile import load_profile
from loadtests.shape import stage_index_at, users_at


@pytest.fixture
def profile(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("name: t\nsettle_s: 1\nstages:\n"
                 "  - {name: a, users: 10, spawn_rate: 10, duration_s: 10}\n"
                 "  - {name: b, users: 50, spawn_rate: 20, duration_s: 10}\n")
    return load_profile(str(p))


@pytest.mark.parametrize("elapsed, expected", [
    (0, (10, 10)), (9.99, (10, 10)), (10, (50, 20)), (19.9, (50, 20)), (20, None), (1e6, None),
], ids=["at the start", "just before the step", "at the step", "at the end of the last stage", "after it", "long after"])
def test_tick_follows_the_declared_stages(profile, elapsed, expected):
    assert users_at(profile, elapsed) == expected


def test_stage_index_follows_time(profile):
    assert [stage_index_at(profile, t) for t in (0, 10, 25)] == [0, 1, None]


def test_the_timeline_places_windows_in_wall_time(profile):
    tl = timeline.build(profile, wall_start=1000.0, stopped_at=1020.0)
    a, b = tl["stages"]
    assert (a["start"], a["measure_from"], a["end"], a["completed"]) == (1000.0, 1002.0, 1010.0, True)
    assert (b["measure_from"], b["end"], b["completed"]) == (1010.0 + 2 + 1, 1020.0, True)


def test_a_run_stopped_mid_stage_marks_it_cut(profile):
    tl = timeline.build(profile, wall_start=1000.0, stopped_at=1015.0)
    assert [s["completed"] for s in tl["stages"]] == [True, False]
    assert tl["stages"][1]["end"] == 1015.0


def test_stages_not_reached_are_left_out(profile):
    assert len(timeline.build(profile, wall_start=1000.0, stopped_at=1005.0)["stages"]) == 1


def test_a_step_of_the_machines_wall_clock_moves_the_windows_after_it_where_the_servers_stamps_put_them(profile):
    """The wall clock stepped 5 s ahead 5 s into stage a (a time sync), while the generator's own clock ran on: a's
    window ends 5 s later on the wall clock, the API's and Prometheus's, and says by how much; b's lies 5 s later
    whole; what ran is unchanged."""
    from loadtests.clock import WallSteps
    steps = WallSteps([(1000.0, 0.0), (1005.0, 5.0)])
    tl = timeline.build(profile, wall_start=1000.0, stopped_at=1020.0, steps=steps)
    a, b = tl["stages"]
    assert (a["start"], a["measure_from"], a["end"], a["clock_step_s"]) == (1000.0, 1002.0, 1015.0, 5.0)
    assert (b["start"], b["measure_from"], b["end"], "clock_step_s" in b) == (1015.0, 1018.0, 1025.0, False)
    assert [s["completed"] for s in tl["stages"]] == [True, True] and tl["stopped_at"] == 1025.0


def test_the_wall_clocks_drift_is_recorded_only_where_it_changes():
    """Two samples a moment apart: one recorded. What it records is the drift since the process started, which a time
    sync of the machine may have stepped by seconds (9 s once, while make test ran here), so it is compared with the
    drift read just after, not with zero."""
    from loadtests.clock import STEP_S, WallSteps, wall_drift
    steps = WallSteps()
    steps.sample()
    steps.sample()
    assert len(steps.samples) == 1 and abs(steps.samples[0][1] - wall_drift()) < STEP_S
    assert steps.drift_at(steps.samples[0][0] - 100) == steps.samples[0][1]


def test_a_share_placed_under_the_gated_rate_is_marked_ungated_in_the_timeline():
    """On a machine three times as slow the default's shares of the predicted knee up to 90 % land at or under the
    gated 15 req/s: they run, and the timeline marks them (and their plan) so the judge gates them only by name."""
    placed = load_profile("default", 25.0, 15.0)
    tl = timeline.build(placed, wall_start=1000.0, stopped_at=1000.0 + placed.total_s)
    under = ["s2-knee60", "s3-knee80", "s4-knee90", "s5-knee100"]
    assert [s["name"] for s in tl["stages"] if s.get("ungated")] == under
    assert [p["name"] for p in tl["planned"] if p.get("ungated")] == under


@pytest.mark.parametrize("name, end_s, expected", [
    ("a", 7.5, [("a", 0, 7.5), ("b", 7.5, 17.5)]),
    ("a", 10.0, [("a", 0, 10), ("b", 10, 20)]),
    ("a", 6.9, [("a", 0, 10), ("b", 10, 20)]),
    ("b", 19.0, [("a", 0, 10), ("b", 10, 19.0)]),
    ("c", 5.0, [("a", 0, 10), ("b", 10, 20)]),
], ids=["a cut inside its stage moves the stages after it earlier", "a cut at the stage's own end changes nothing",
        "a cut leaving under 5 s measured changes nothing", "the last stage cut ends the test there",
        "an unknown stage changes nothing"])
def test_a_stage_decided_at_a_look_ends_there(profile, name, end_s, expected):
    cut = profile.ended_at(name, end_s)
    assert [(w.name, w.start_s, w.end_s) for w in cut.windows()] == expected
    assert cut.ended_early == ({name: 10} if expected != [("a", 0, 10), ("b", 10, 20)] else {})
    assert profile.windows()[0].end_s == 10   # the profile itself is unchanged


def test_the_shape_and_the_timeline_follow_a_end_stage(profile):
    """The shape steps to b at the cut, and the timeline marks a as ended there, complete, with its declared
    length."""
    cut = profile.ended_at("a", 7.5)
    assert users_at(cut, 7.4) == (10, 10) and users_at(cut, 7.5) == (50, 20) and users_at(cut, 17.5) is None
    a, b = timeline.build(cut, wall_start=1000.0, stopped_at=1017.5)["stages"]
    assert (a["end"], a["completed"], a["declared_s"]) == (1007.5, True, 10)
    assert (b["start"], b["end"], b["completed"], "declared_s" in b) == (1007.5, 1017.5, True, False)
