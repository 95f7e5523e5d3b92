"""A stage held while the load runs (loadtests/holds.py): no arrival from the hold to its end, the stage run again in
full as <stage>-again, the stages after it moved later, and the timeline saying so. Driven with a fake clock."""
import pytest

from common.specfile import SpecError
from loadtests import timeline
from loadtests.profile import load_profile

OPEN = ("name: o\nkind: open\nsettle_s: 1\nhold: {max_s: 60}\nstages:\n"
        "  - {name: a, rate_rps: 20, duration_s: 10}\n  - {name: b, rate_rps: 40, duration_s: 10}\n")


@pytest.fixture
def profile(tmp_path):
    (tmp_path / "o.yaml").write_text(OPEN)
    return load_profile(str(tmp_path / "o.yaml"))


def _windows(profile):
    return [(w.name, w.start_s, w.end_s, w.held_from_s) for w in profile.windows()]


@pytest.mark.parametrize("holds, expected", [
    ([("a", 4, 9)], [("a", 0, 9, 4), ("a-again", 9, 19, None), ("b", 19, 29, None)]),
    ([("a", 4, 9), ("a", 2, 15)], [("a", 0, 15, 4), ("a-again", 15, 25, None), ("b", 25, 35, None)]),
    ([("a", 4, 15), ("a", 4, 9)], [("a", 0, 15, 4), ("a-again", 15, 25, None), ("b", 25, 35, None)]),
    ([("b", 12, 30)], [("a", 0, 10, None), ("b", 10, 30, 12), ("b-again", 30, 40, None)]),
    ([("a", 11, 20)], [("a", 0, 10, None), ("b", 10, 20, None)]),
    ([("a", 4, 3)], [("a", 0, 10, None), ("b", 10, 20, None)]),
    ([("c", 4, 9)], [("a", 0, 10, None), ("b", 10, 20, None)]),
], ids=["a stage held runs again in full after the hold, the stages after it later",
        "a hold moved on keeps where it began and ends later",
        "a hold never ends earlier than it was set to: every process must agree on the windows",
        "the last stage held runs again last",
        "a hold that begins past the stage changes nothing",
        "a hold that ends before it begins changes nothing",
        "a stage the profile does not have changes nothing"])
def test_a_held_stage_runs_again_and_the_stages_after_it_move_later(profile, holds, expected):
    held = profile
    for name, from_s, until_s in holds:
        held = held.held(name, from_s, until_s)
    assert _windows(held) == expected
    assert _windows(profile) == [("a", 0, 10, None), ("b", 10, 20, None)]   # the profile itself is unchanged


def test_a_held_window_sends_until_the_hold_and_not_after(profile):
    a = profile.held("a", 4, 9).windows()[0]
    assert a.sends_at(3.9) and not a.sends_at(4.0) and not a.sends_at(8.9)
    assert profile.windows()[0].sends_at(9.9)


def test_the_timeline_says_where_a_stage_was_held_and_which_stage_ran_it_again(profile):
    held = profile.held("a", 4, 9)
    a, again, b = timeline.build(held, wall_start=1000.0, stopped_at=1029.0)["stages"]
    assert (a["held_from"], a["declared_s"], a["again"], a["end"]) == (1004.0, 10, "a-again", 1009.0)
    assert (again["again_of"], again["start"], again["measure_from"], again["end"]) == ("a", 1009.0, 1010.0, 1019.0)
    assert "held_from" not in b and "again_of" not in b


def test_a_closed_model_profile_cannot_declare_a_hold(tmp_path):
    (tmp_path / "c.yaml").write_text("name: c\nhold: {max_s: 60}\nstages:\n  - {name: a, users: 5, duration_s: 10}\n")
    with pytest.raises(SpecError, match="a closed-model profile cannot declare hold"):
        load_profile(str(tmp_path / "c.yaml"))
