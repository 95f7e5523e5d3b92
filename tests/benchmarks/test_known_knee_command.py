"""The known-knee benchmark runs either the README's run or make capacity's search against the queue: the command it
hands slobench says which (benchmarks/known_knee.py)."""
import pytest

from benchmarks.known_knee import _command


@pytest.mark.parametrize("profile, budget, expected", [
    ("default", None, ["loadtest", "--profile", "default", "--no-drift"]),
    ("default", 300.0, ["capacity", "--profile", "default", "--budget-seconds", "300"]),
    ("smoke", 90.5, ["capacity", "--profile", "smoke", "--budget-seconds", "90.5"]),
], ids=["without a budget it is the README's run, drift off",
        "with a budget it is make capacity's search for that many seconds of steps",
        "the profile and a fractional budget are passed as given"])
def test_the_command_follows_the_budget(profile, budget, expected):
    assert _command(profile, budget) == expected
