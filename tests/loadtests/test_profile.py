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


def test_the_smoke_profile_is_about_30_seconds_and_default_within_five_minutes():
    assert 20 <= load_profile("smoke").total_s <= 40
    default = load_profile("default")
    # the whole run bounded by its declared budget, with room for one step after the stack's start and the probe
    # (about 25 s), the ladder, its judging (about 10 s), and the report
    from slobench.refine import CLOSING_S, STEP_OVERHEAD_S
    one_step = default.refine.step_s + STEP_OVERHEAD_S
    assert default.refine.run_budget_s <= 290
    assert 25 + default.total_s + 10 + one_step + CLOSING_S <= default.refine.run_budget_s


def test_the_default_profile_climbs_through_the_knee_in_shares_of_saturation_with_the_gate_at_the_required_rate():
    """The gated stage at the shipped SLO file's required rate; then shares of the measured saturation, spanning
    where the knee lies on a machine twice as fast (near 80 %) and three times as slow (near 50 %), in steps the
    refinement splits; the last stage past saturation."""
    from slo.file.load import load_slo
    profile = load_profile("default")
    assert profile.kind == "open" and profile.needs_probe
    assert profile.stages[0].rate_rps == load_slo().gate.required_rps
    shares = [s.saturation_share for s in profile.stages[1:]]
    assert shares == sorted(shares) and shares[0] <= 0.45 and shares[-2] >= 0.75 and shares[-1] >= 1.2
    assert all(b - a <= 0.1 + 1e-9 for a, b in zip(shares[:-2], shares[1:-1]))
    assert profile.refine.aim <= 0.10 and profile.refine.budget_s >= 50


@pytest.mark.parametrize("saturation, rates", [
    (62.0, [15, 24.8, 31.0, 37.2, 43.4, 49.6, 74.4]),
    (90.0, [15, 36.0, 45.0, 54.0, 63.0, 72.0, 108.0]),
    (30.0, [15, 12.0, 15.0, 18.0, 21.0, 24.0, 36.0]),
], ids=["a machine whose forest costs about 25 ms (the probe's closed-loop figure)", "one twice as fast",
        "one twice as slow: the shares at or under the gated rate run, gated only by name"])
def test_a_profile_placed_at_a_measured_saturation_turns_each_share_into_a_rate_and_keeps_the_shares(saturation, rates):
    placed = load_profile("default", saturation)
    assert [s.rate_rps for s in placed.stages] == rates and not placed.needs_probe
    under = [s.name for s, rate in zip(placed.stages[1:], rates[1:]) if rate <= 15]
    assert placed.placement.under_declared == under
    assert [w.name for w in placed.windows() if w.ungated] == under
    assert placed.placement.saturation_rps == saturation and placed.placement.shares["s4-60pct"] == 0.6
    assert [w.offered_rps for w in placed.windows()] == rates


def test_a_placed_profile_reads_back_as_itself_the_way_the_load_generator_receives_it():
    placed = load_profile("default", 41.3)
    assert type(placed).model_validate(placed.model_dump(mode="json")) == placed


def test_an_unplaced_share_says_what_it_waits_for_in_the_outline():
    assert load_profile("default").outline()[1].startswith("s2-40pct: 40% of the measured saturation")


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
    (GOOD.replace("users: 10, spawn_rate: 10,", "saturation_share: 0.5,"), "a closed-model profile declares users"),
    (GOOD.replace("settle_s: 2", "settle_s: 2\nkind: open").replace("users: 10, spawn_rate: 10,", "rate_rps: 5, saturation_share: 0.5,"),
     "declare rate_rps or saturation_share, not both"),
    (GOOD.replace("settle_s: 2", "settle_s: 2\nkind: open").replace("users: 10, spawn_rate: 10,", "saturation_share: 0,"),
     r"stages\[a\].saturation_share: must be > 0"),
    (GOOD.replace("settle_s: 2", "settle_s: 2\nprobe: {concurrency: [0]}"), "each concurrency must be between 1 and 256"),
    (GOOD.replace("settle_s: 2", "settle_s: 2\nrefine: {budget_s: 60}"), "a closed-model profile cannot declare refine"),
    (GOOD.replace("settle_s: 2", "settle_s: 2\nkind: open\nrefine: {budget_s: 0}").replace("users: 10, spawn_rate: 10,", "rate_rps: 5,"),
     r"p.yaml: refine.budget_s: must be > 0"),
    ("stages: [", "not valid YAML"),
    ("- just a list", "expected a mapping at the top level"),
], ids=["zero users", "a stage too short to measure", "an unknown key", "an unknown task", "duplicate stage names",
        "a share of saturation in a closed profile", "a rate and a share in one stage", "a share of zero",
        "a probe at concurrency zero", "refinement steps in a closed profile", "a refinement without a budget",
        "broken YAML", "a list instead of a mapping"])
def test_a_bad_profile_gets_a_message_naming_file_and_field(tmp_path, text, message):
    with pytest.raises(SpecError, match=message):
        load_profile(_write(tmp_path, text))


def test_an_unknown_profile_name_lists_the_known_ones():
    with pytest.raises(SpecError, match="known profiles are .*default.*smoke"):
        load_profile("nonesuch")
