import pytest
import yaml

from common.specfile import SpecError
from slo.file.model import LatencyQuantile
from slo.file.load import DEFAULT_SLO_PATH, load_slo

RAW = yaml.safe_load(DEFAULT_SLO_PATH.read_text())


def _with(tmp_path, change):
    raw = yaml.safe_load(DEFAULT_SLO_PATH.read_text())
    change(raw)
    p = tmp_path / "slos.yaml"
    p.write_text(yaml.safe_dump(raw))
    return p


def _objective(raw, name):
    return next(o for o in raw["objectives"] if o["name"] == name)


def test_the_shipped_slo_file_loads_with_every_kind():
    spec = load_slo()
    assert {o.kind for o in spec.objectives} == {"latency_quantile", "latency_mean", "error_ratio", "availability", "throughput",
                                                 "answers"}
    assert [o.quantile for o in spec.objectives if isinstance(o, LatencyQuantile)] == [0.5, 0.95, 0.99]


@pytest.mark.parametrize("change, message", [
    (lambda r: _objective(r, "p99").update(threshold_ms=-5), r"slos.yaml: objectives\[p99\].threshold_ms: must be > 0"),
    (lambda r: _objective(r, "p95").update(quantile=1.5), r"slos.yaml: objectives\[p95\].quantile: must be < 1"),
    (lambda r: _objective(r, "p50").update(quantile=0), r"slos.yaml: objectives\[p50\].quantile: must be > 0"),
    (lambda r: _objective(r, "mean").update(colour="red"), r"slos.yaml: objectives\[mean\].colour: unknown key"),
    (lambda r: r.update(surprise=1), r"slos.yaml: surprise: unknown key"),
    (lambda r: _objective(r, "answers").update(max_wrong_share=-1),
     r"slos.yaml: objectives\[answers\].max_wrong_share: must be >= 0"),
    (lambda r: _objective(r, "p99").update(warning_ms=600), r"objectives\[p99\]: warning_ms must be <= threshold_ms"),
    (lambda r: _objective(r, "errors").update(max_ratio=2), r"objectives\[errors\].max_ratio: must be < 1"),
    (lambda r: _objective(r, "p95").update(name="p99"), "objective names must be unique: p99"),
    (lambda r: _objective(r, "mean").update(warning_ms=130), r"objectives\[mean\]: warning_ms must be <= threshold_ms"),
    (lambda r: _objective(r, "errors").update(warning_ratio=0.02), r"objectives\[errors\]: warning_ratio must be <= max_ratio"),
    (lambda r: _objective(r, "throughput").update(warning_share=0.9), r"objectives\[throughput\]: warning_share must be >= min_share"),
    (lambda r: r["baseline"]["max_regression"].update(p42=0.1), "slos.yaml: baseline.max_regression: unknown figures: p42"),
    (lambda r: r["baseline"]["max_regression"].update(throughput=0.1), "unknown figures: throughput"),
    (lambda r: r["baseline"]["max_regression"].update(p99=-0.1), "baseline.max_regression: allowed regressions must be >= 0: p99"),
    (lambda r: r["objectives"].append({"name": "x", "kind": "vibes"}), r"objectives\[x\]"),
    (lambda r: r.pop("service"), "slos.yaml: service: required"),
], ids=["a negative threshold", "a quantile above 1", "a quantile of 0", "an unknown key in an objective",
        "an unknown top-level key", "a negative share of wrong answers", "a warning band beyond the threshold", "an error ratio above 1", "duplicate names",
        "a mean warning beyond its threshold", "an error-ratio warning beyond its maximum",
        "a throughput warning below its minimum share", "a baseline criterion on an unknown figure",
        "a baseline criterion naming an objective rather than a figure", "a negative regression allowance", "an unknown objective kind", "no service name"])
def test_a_bad_slo_file_gets_a_message_naming_file_objective_and_field(tmp_path, change, message):
    with pytest.raises(SpecError, match=message):
        load_slo(_with(tmp_path, change))


def test_a_missing_slo_file_is_named(tmp_path):
    with pytest.raises(SpecError, match="nope.yaml: file not found"):
        load_slo(tmp_path / "nope.yaml")
