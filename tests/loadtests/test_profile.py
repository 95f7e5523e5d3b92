import pytest

from loadtests.profile import PROFILES_DIR, load_profile
from common.specfile import SpecError

GOOD = """
name: t
scenario: {weights: {predict_user: 1}, rate_per_user: 10}
settle_s: 2
stages:
  - {name: a, users: 10, spawn_rate: 10, duration_s: 20}
  - {name: b, users: 30, spawn_rate: 10, duration_s: 20}
"""


def _write(tmp_path, text):
    p = tmp_path / "p.yaml"
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize("name", sorted(p.stem for p in PROFILES_DIR.glob("*.yaml")))
def test_every_shipped_profile_loads(name):
    profile = load_profile(name)
    assert profile.name == name and profile.stages


def test_the_smoke_profile_is_about_30_seconds_and_default_about_four_minutes():
    assert 20 <= load_profile("smoke").total_s <= 40
    assert 180 <= load_profile("default").total_s <= 250


def test_the_default_profile_climbs_in_steps_of_at_most_a_fifth_through_the_knee():
    """Steps of at most 20 % keep a closed capacity interval within 25 % of its low end even with one stage
    between its ends left inconclusive; the last stage is past saturation."""
    profile = load_profile("default")
    rates = [s.rate_rps for s in profile.stages]
    assert profile.kind == "open" and rates == sorted(rates) and len(set(rates)) == len(rates)
    assert all(b / a <= 1.2 for a, b in zip(rates[:-2], rates[1:-1]))


def test_windows_exclude_ramp_and_settle(tmp_path):
    w = load_profile(_write(tmp_path, GOOD)).windows()
    assert (w[0].start_s, w[0].measure_from_s, w[0].end_s) == (0, 1 + 2, 20)
    assert (w[1].start_s, w[1].measure_from_s, w[1].end_s) == (20, 20 + 2 + 2, 40)
    assert [x.offered_rps for x in w] == [100, 300]


@pytest.mark.parametrize("text, message", [
    (GOOD.replace("users: 10,", "users: 0,"), r"p.yaml: stages\[a\].users: must be >= 1"),
    (GOOD.replace("duration_s: 20}\n  - {name: b", "duration_s: 2}\n  - {name: b"), "stage a: ramp and settle leave"),
    (GOOD.replace("settle_s: 2", "settle_s: 2\ncolour: red"), "p.yaml: colour: unknown key"),
    (GOOD.replace("predict_user: 1", "predict_everything: 1"), "p.yaml: scenario.weights.predict_everything"),
    (GOOD.replace("name: b", "name: a"), "stage names must be unique"),
    ("stages: [", "not valid YAML"),
    ("- just a list", "expected a mapping at the top level"),
], ids=["zero users", "a stage too short to measure", "an unknown key", "an unknown task", "duplicate stage names",
        "broken YAML", "a list instead of a mapping"])
def test_a_bad_profile_gets_a_message_naming_file_and_field(tmp_path, text, message):
    with pytest.raises(SpecError, match=message):
        load_profile(_write(tmp_path, text))


def test_an_unknown_profile_name_lists_the_known_ones():
    with pytest.raises(SpecError, match="known profiles are .*default.*smoke"):
        load_profile("nonesuch")
