"""The summary's capacity line says in which rates its interval is stated and what decided each end."""
import pytest

from slo.reports.text import capacity_lines
from slo.verdicts.capacity import capacity
from tests.slo.fakes import judged_stages
from tests.slo.verdicts.test_saturation import LADDER, SERVICE_MS, _judged


def ladder(with_histogram: bool = True) -> list:
    stages = [_judged(f"s{i}", round(k * 1000 / SERVICE_MS, 2), SERVICE_MS) for i, k in enumerate(LADDER)]
    for s in stages:
        s["server"]["serving"] = s["server"]["serving"] if with_histogram else None
    return judged_stages(stages)


@pytest.mark.parametrize("with_histogram, said", [
    (True, ["Capacity: in [", "req/s at the run's typical speed (width", "stated at the run's typical 12 ms",
            "p50's share fitted across",
            "at the rates offered, s3 met every objective with confidence at 61.67 and s4 failed one at 66.67"]),
    (False, ["Capacity: in [", "req/s offered (width", "s3 met every objective with confidence; s4 failed one"]),
    ("too few to fit", ["req/s at the run's typical speed (width", "stated at the run's typical 12 ms",
                        "between the best confident pass and the lowest confident failure there, [74, 80] %"]),
    ("failed only past the saturation", ["between the best confident pass and the lowest confident failure there, "
                                         "[74, 124] %", "the high end at the saturation itself"]),
], ids=["with the prediction histogram: at the typical speed, the fitted share and the rates offered beside it",
        "without it: at the rates offered",
        "with it but too few stages to fit the knee: the bracket alone, at the typical speed",
        "the lowest confident failure past the saturation: the saturation is the high end"])
def test_the_capacity_line_names_its_rates(with_histogram, said):
    stages = ladder(bool(with_histogram))
    if with_histogram == "too few to fit":
        stages = stages[3:5] + stages[-1:]
    elif with_histogram == "failed only past the saturation":
        stages = stages[2:4] + judged_stages([_judged("s9", round(1.24 * 1000 / SERVICE_MS, 2), SERVICE_MS)])
    line = capacity_lines(capacity(stages), [])[0]
    assert all(s in line for s in said), line


@pytest.mark.parametrize("interval, said", [
    ([40.0, None], "Capacity: in [40, ?] req/s at the run's typical speed (no stage failed with confidence)"),
    ([None, 52.5], "Capacity: in [?, 52.5] req/s at the run's typical speed (no stage passed with confidence)"),
], ids=["no confident failure: open above", "no confident pass: open below"])
def test_an_open_capacity_at_the_typical_speed_says_which_end_is_missing(interval, said):
    cap = capacity(ladder()).model_copy(update={"interval_rps": interval, "closed": False, "width": None})
    assert capacity_lines(cap, [])[0].startswith(said)


def test_a_step_at_the_rate_of_a_stage_that_measured_the_machine_says_it_ran_that_stage_again():
    stages = judged_stages([
        {"name": "s6-80pct", "offered_rps": 53.8, "status": "fail", "machine": {"slowed": True}},
        {"name": "s7-120pct", "offered_rps": 80.7, "status": "fail"},
        {"name": "r1-54rps", "offered_rps": 53.8, "status": "pass", "refine": True},
        {"name": "r2-67rps", "offered_rps": 67.2, "status": "inconclusive", "refine": True}])
    lines = capacity_lines(capacity(stages), stages)
    assert ("Refined after the ladder, where the capacity was uncertain: r1-54rps (s6-80pct run again) pass, "
            "r2-67rps inconclusive") in lines, lines


@pytest.mark.parametrize("earlier, said", [
    ((16.0, 15.8), "At the machine's usual speed: [49.5, 54] req/s"),
    ((16.0,), None),
], ids=["a slow run after two at the usual speed: the interval there, the speeds, how much slower and the share's move",
        "one earlier run: no line"])
def test_the_capacity_at_the_machines_usual_speed_has_its_line(earlier, said):
    from types import SimpleNamespace
    from slo.file.load import load_slo
    from stack.procs import ROOT
    from tests.slo.verdicts.test_saturation import _p95_stages
    like = [SimpleNamespace(capacity=capacity(_p95_stages(ms))) for ms in earlier]
    lines = capacity_lines(capacity(_p95_stages(18.5), like=like, spec=load_slo(ROOT / "slo" / "slos.yaml")), [])
    usual = [line for line in lines if line.startswith("At the machine's usual speed")]
    if said is None:
        assert usual == [], lines
        return
    [line] = usual
    assert line.startswith(said) and "req/s, at 16 ms of prediction a request, the median of 3 runs like this one " \
        "(15.8 to 18.5 ms; this run 16% slower, the knee's share moved +2.5 points as a queue's does)" in line, line
