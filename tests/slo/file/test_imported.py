"""OpenSLO v1 and Sloth prometheus/v1 files mapped onto slobench's SLO model; what cannot be mapped is named."""

import pytest
import yaml

from common.specfile import SpecError
from tests.slo.fakes import evaluate_run as evaluate
from slo.file.load import load_slo
from tests.slo.fakes import make_run, steady, with_slis

OPENSLO = "slo/examples/openslo.yaml"
SLOTH = "slo/examples/sloth.yaml"


@pytest.mark.parametrize("path, expected", [
    (OPENSLO, {"predict-availability": ("ratio", 0.995), "predict-latency": ("ratio", 0.99),
               "predict-p99": ("threshold", 0.95)}),
    (SLOTH, {"predict-availability": ("ratio", 0.995), "predict-latency": ("ratio", 0.99)}),
], ids=["the OpenSLO example", "the Sloth example"])
def test_the_examples_map_onto_objectives(path, expected):
    spec = load_slo(path)
    assert spec.service == "streamflow-churn-api"
    assert {o.name: (o.kind, o.target) for o in spec.objectives} == expected


def test_a_sloth_window_template_becomes_the_stage_window():
    [availability] = [o for o in load_slo(SLOTH).objectives if o.name == "predict-availability"]
    assert "[{{window}}]" in availability.bad_query and "{{.window}}" not in availability.bad_query


def _openslo(tmp_path, change):
    docs = list(yaml.safe_load_all(open(OPENSLO)))
    change(docs)
    path = tmp_path / "slo.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    return path


def _sloth(tmp_path, change):
    doc = yaml.safe_load(open(SLOTH))
    change(doc)
    path = tmp_path / "sloth.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _ratio(docs):
    return docs[0]["spec"]["indicator"]["spec"]["ratioMetric"]


@pytest.mark.parametrize("make, message", [
    (lambda t: _openslo(t, lambda d: _ratio(d)["good"]["metricSource"].update(type="Datadog")),
     r"slo.yaml: SLO\[predict-availability\].spec.indicator.spec.ratioMetric.good.metricSource.type: "
     r"only Prometheus sources can be judged here \(got Datadog\)"),
    (lambda t: _openslo(t, lambda d: _ratio(d).update(counter=False)),
     r"ratioMetric.good.metricSource.spec.query: cannot map this query onto a stage window: with counter: false"),
    (lambda t: _openslo(t, lambda d: _ratio(d)["total"]["metricSource"]["spec"].update(query="sum(rate(x[5m]))")),
     r"ratioMetric.total.metricSource.spec.query: counter: true, but this query already computes a rate"),
    (lambda t: _openslo(t, lambda d: d[0].update(apiVersion="openslo/v1alpha")),
     r"document 1.apiVersion: only openslo/v1 is mapped \(got openslo/v1alpha\)"),
    (lambda t: _openslo(t, lambda d: d[1]["spec"].update(indicatorRef="nope")),
     r"SLO\[predict-latency\].spec.indicatorRef: no kind: SLI named 'nope'"),
    (lambda t: _openslo(t, lambda d: d[0]["spec"]["objectives"][0].pop("target")),
     r"SLO\[predict-availability\].spec.objectives\[0\]: target or targetPercent is required"),
    (lambda t: _openslo(t, lambda d: d[3]["spec"]["objectives"][0].pop("op")),
     r"SLO\[predict-p99\].spec.objectives\[0\]: a threshold objective needs op"),
    (lambda t: _sloth(t, lambda d: d["slos"][0].update(sli={"plugin": {"id": "sloth-common/availability"}})),
     r"sloth.yaml: slos\[predict-availability\].sli: only events and raw SLIs can be mapped \(got plugin\)"),
    (lambda t: _sloth(t, lambda d: d["slos"][0].update(objective=120)),
     r"slos\[predict-availability\].objective: a percentage strictly between 0 and 100 is required, got 120"),
    (lambda t: _sloth(t, lambda d: d["slos"][0]["sli"]["events"].pop("total_query")),
     r"slos\[predict-availability\].sli.events: total_query is required"),
], ids=["a non-Prometheus source", "a gauge without a range marked counter: false",
        "a rate marked counter: true", "a pre-v1 OpenSLO file",
        "a reference to a missing SLI", "an objective without a target", "a threshold without its operator",
        "a Sloth plugin SLI", "a Sloth objective over 100 %", "a Sloth SLI without its total"])
def test_what_cannot_be_mapped_is_refused_naming_the_field(tmp_path, make, message):
    with pytest.raises(SpecError, match=message):
        load_slo(make(tmp_path))


@pytest.mark.parametrize("good, share, status, burn", [
    (2998, 1.0, "pass", 0.133), (2970, 1.0, "fail", 2.0), (3000, 0.9, "fail", 0.0),
], ids=["99.93 % good passes a 99.5 % target", "99 % good burns a 0.5 % budget twice over",
        "a threshold held 90 % of the time fails a 95 % target"])
def test_each_imported_objective_is_judged_per_stage_with_its_burn_rate(tmp_path, good, share, status, burn):
    spec = load_slo(OPENSLO)
    run = make_run(tmp_path / "run", spec, [{"name": "s1", "offered_rps": 100, "latencies": steady(2)}])
    report = evaluate(run, spec, with_slis(run, spec, good, 3000, share))
    objectives = {o.name: o for o in report.stages[0].objectives}
    availability = objectives["predict-availability"]
    assert availability.measured == pytest.approx(good / 3000)
    assert availability.burn_rate == pytest.approx(burn if share == 1.0 else 0.0, abs=0.01)
    worst = "fail" if "fail" in {availability.status, objectives["predict-p99"].status} else "pass"
    assert worst == status


@pytest.mark.parametrize("query, counter, expected, how", [
    ('x_total{a="1"}', True, 'sum(increase(x_total{a="1"}[{{window}}]))', "exact"),
    ('sum(x_total{code=~"2xx|3xx",host="*"})', True, 'sum(increase(x_total{code=~"2xx|3xx",host="*"}[{{window}}]))',
     "rewritten as a sum of increase() inside the aggregation"),
    ("sum by (code) (x_total)", True, "sum(increase(x_total[{{window}}]))", "inside the aggregation"),
    ("sum(a_total) + sum(b_total)", True, "sum(increase((sum(a_total) + sum(b_total))[{{window}}:{{step}}]))",
     "a drop counts as a counter reset"),
    ("sum(rate(x_total[5m]))", False, "sum(avg_over_time((sum(rate(x_total[5m])))[{{window}}:{{step}}])) * {{window_s}}",
     "smooths the stage's edges"),
    ("sum(rate(x_total[{{.window}}]))", False, "sum(sum(rate(x_total[{{window}}]))) * {{window_s}}", "times its length"),
], ids=["a bare counter selector", "the OpenSLO README's sum(...) form", "a sum by labels",
        "any other counter expression", "a rate with its own range (counter: false)", "a Sloth templated rate"])
def test_each_query_form_counts_events_over_the_stage_window(query, counter, expected, how):
    from slo.file.queries import windowed
    mapped, said = windowed(query, counter, "q", "f.yaml")
    assert mapped == expected and how in said
