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
    from slobench.budget import CLOSING_S, STEP_OVERHEAD_S
    one_step = default.refine.step_s + STEP_OVERHEAD_S
    # five minutes from the run's start to its report: run_budget_s holds the report's CLOSING_S (10 to 12 s measured)
    assert default.refine.run_budget_s <= 300
    assert 25 + default.total_s + 10 + one_step + CLOSING_S <= default.refine.run_budget_s


def test_the_default_profile_climbs_through_the_predicted_knee_with_the_gate_at_the_required_rate():
    """The gated stage at the shipped SLO file's required rate; then shares of the knee predicted at the measured
    saturation, from well under it to a tenth past it in steps the refinement splits; the last stage past
    saturation."""
    from slo.file.load import load_slo
    profile = load_profile("default")
    assert profile.kind == "open" and profile.needs_probe
    assert profile.stages[0].rate_rps == load_slo().gate.required_rps
    shares = [s.predicted_knee_share for s in profile.stages[1:-1]]
    assert shares == sorted(shares) and shares[0] <= 0.6 and shares[-1] >= 1.1
    assert all(b - a <= 0.1 + 1e-9 for a, b in zip(shares[1:], shares[2:]))
    assert profile.stages[-1].saturation_share >= 1.2
    assert profile.refine.aim <= 0.10 and profile.refine.budget_s >= 50


@pytest.mark.parametrize("service_ms, knee_share", [(15, 0.85), (27, 0.73), (8, 0.92)],
                         ids=["at 15 ms a request the p95's knee lies at 85 % of saturation",
                              "at 27 ms (a machine twice as slow) at 73 %", "at 8 ms at 92 %"])
def test_the_knee_predicted_from_the_shipped_slo_file_moves_with_what_a_request_costs(service_ms, knee_share):
    """An M/M/1 queue: each latency objective's knee where its quantile (or mean) meets the threshold, the lowest
    of them; the shipped file's p95 (300 ms) decides it."""
    from slo.file.load import load_slo
    saturation = 1000 / service_ms
    assert load_slo().queue_knee_rps(saturation) / saturation == pytest.approx(knee_share, abs=0.005)


@pytest.mark.parametrize("saturation, rates", [
    (69.5, [15, 35.7, 47.6, 53.6, 59.5, 65.5, 83.4]),
    (37.0, [15, 16.2, 21.6, 24.3, 27.0, 29.7, 44.4]),
    (30.0, [15, 12.0, 16.0, 18.0, 20.0, 22.0, 36.0]),
], ids=["a machine whose forest costs 14.4 ms a request (the probe's closed-loop figure)",
        "one whose forest costs 27 ms: the knee lies lower in its saturation",
        "one twice as slow: the shares at or under the gated rate run, gated only by name"])
def test_a_profile_placed_at_a_measured_saturation_turns_each_share_into_a_rate_and_keeps_the_shares(saturation, rates):
    from slo.file.load import load_slo
    from slobench.probing import place
    placed = place(load_profile("default"), load_slo(), saturation)
    assert [s.rate_rps for s in placed.stages] == rates and not placed.needs_probe
    under = [s.name for s, rate in zip(placed.stages[1:], rates[1:]) if rate <= 15]
    assert placed.placement.under_declared == under
    assert [w.name for w in placed.windows() if w.ungated] == under
    assert placed.placement.saturation_rps == saturation and placed.placement.knee_shares["s4-knee90"] == 0.9
    assert placed.placement.shares["s4-knee90"] == pytest.approx(rates[3] / saturation, abs=0.002)
    assert placed.placement.shares["s7-120pct"] == 1.2
    assert [w.offered_rps for w in placed.windows()] == rates


def test_a_placed_profile_reads_back_as_itself_the_way_the_load_generator_receives_it():
    placed = load_profile("default", 41.3, 35.2)
    assert type(placed).model_validate(placed.model_dump(mode="json")) == placed
    assert [s.rate_rps for s in placed.stages] == [s.rate_rps for s in load_profile("default", 41.3, 35.2).stages]


def test_a_share_of_the_predicted_knee_without_a_knee_to_place_it_at_is_refused_naming_the_stage():
    with pytest.raises(SpecError, match="stage s2-knee60: predicted_knee_share places the stage from the knee the SLO "
                                        "file's latency objectives predict, and it declares none"):
        load_profile("default", 41.3)


def test_an_unplaced_share_says_what_it_waits_for_in_the_outline():
    outline = load_profile("default").outline()
    assert outline[1].startswith("s2-knee60: 60% of the knee predicted at the measured saturation")
    assert outline[-2].startswith("s7-120pct: 120% of the measured saturation")


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
     "declare one of rate_rps, saturation_share or predicted_knee_share"),
    (GOOD.replace("settle_s: 2", "settle_s: 2\nkind: open").replace("users: 10, spawn_rate: 10,", "saturation_share: 0.5, predicted_knee_share: 0.5,"),
     "declare one of rate_rps, saturation_share or predicted_knee_share"),
    (GOOD.replace("users: 10, spawn_rate: 10,", "predicted_knee_share: 0.5,"), "a closed-model profile declares users"),
    (GOOD.replace("settle_s: 2", "settle_s: 2\nkind: open").replace("users: 10, spawn_rate: 10,", "saturation_share: 0,"),
     r"stages\[a\].saturation_share: must be > 0"),
    (GOOD.replace("settle_s: 2", "settle_s: 2\nprobe: {concurrency: [0]}"), "each concurrency must be between 1 and 256"),
    (GOOD.replace("settle_s: 2", "settle_s: 2\nrefine: {budget_s: 60}"), "a closed-model profile cannot declare refine"),
    (GOOD.replace("settle_s: 2", "settle_s: 2\nkind: open\nrefine: {budget_s: 0}").replace("users: 10, spawn_rate: 10,", "rate_rps: 5,"),
     r"p.yaml: refine.budget_s: must be > 0"),
    ("stages: [", "not valid YAML"),
    ("- just a list", "expected a mapping at the top level"),
], ids=["zero users", "a stage too short to measure", "an unknown key", "an unknown task", "duplicate stage names",
        "a share of saturation in a closed profile", "a rate and a share in one stage",
        "two kinds of share in one stage", "a share of the predicted knee in a closed profile", "a share of zero",
        "a probe at concurrency zero", "refinement steps in a closed profile", "a refinement without a budget",
        "broken YAML", "a list instead of a mapping"])
def test_a_bad_profile_gets_a_message_naming_file_and_field(tmp_path, text, message):
    with pytest.raises(SpecError, match=message):
        load_profile(_write(tmp_path, text))


def test_an_unknown_profile_name_lists_the_known_ones():
    with pytest.raises(SpecError, match="known profiles are .*default.*smoke"):
        load_profile("nonesuch")


def test_a_share_of_the_predicted_knee_is_refused_before_the_probe_where_the_slo_file_has_no_latency_objective():
    from slo.file.model import SloSpec
    from slobench.probing import place_ladder
    spec = SloSpec.model_validate({"service": "s", "objectives": [{"name": "errors", "kind": "error_ratio",
                                                                   "max_ratio": 0.01}]})
    probed = []
    with pytest.raises(SpecError, match="stage s2-knee60: predicted_knee_share places the stage from the knee"):
        place_ladder("http://127.0.0.1:9", load_profile("default"), spec, None, log=probed.append)
    assert probed == []   # nothing measured: no request was sent
