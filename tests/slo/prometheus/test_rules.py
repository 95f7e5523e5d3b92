"""Generated SLO rules: up to date, accepted by promtool, and promtool's unit tests of every alert pass."""
import subprocess

import pytest
import yaml

from common.specfile import SpecError
from slo.prometheus.rules import RULES_PATH, build, write
from slo.file.load import DEFAULT_SLO_PATH, load_slo
from common.contract import LATENCY_BUCKETS
from tests import needs



def test_the_committed_rules_are_generated_from_the_slo_file(tmp_path):
    fresh = write(load_slo(), tmp_path / "rules.yml", LATENCY_BUCKETS)
    assert fresh.read_text() == RULES_PATH.read_text(), "regenerate with `make rules`"


def test_error_ratio_and_high_quantiles_get_page_and_ticket_alerts_the_median_none():
    groups = {g["name"].rsplit("-", 1)[1]: g for g in build(load_slo(), LATENCY_BUCKETS)["groups"]}
    assert set(groups) == {"p95", "p99", "errors"}
    for name, group in groups.items():
        alerts = [r for r in group["rules"] if "alert" in r]
        assert [a["labels"]["severity"] for a in alerts] == ["page", "ticket"]
        assert len([r for r in group["rules"] if "record" in r]) == 7


def test_a_latency_threshold_off_the_bucket_boundaries_is_refused(tmp_path):
    raw = yaml.safe_load(DEFAULT_SLO_PATH.read_text())
    for o in raw["objectives"]:
        if o["name"] == "p99":
            o["threshold_ms"], o["warning_ms"] = 90, 80
    (tmp_path / "slos.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(SpecError, match=r"objectives\[p99\].threshold_ms: 90 ms is not a histogram bucket boundary"):
        build(load_slo(tmp_path / "slos.yaml"), LATENCY_BUCKETS)


@pytest.mark.integration
@pytest.mark.parametrize("args", [["check", "rules", "slo-rules.yml"], ["test", "rules", "slo-rules.test.yaml"]],
                         ids=["promtool check rules", "promtool test rules"])
def test_promtool(args):
    done = subprocess.run([needs.binary("promtool"), *args], cwd=RULES_PATH.parent, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr
