"""A profile placed around the predicted knee, through a whole run on the real stack: the probe measures the API, the
SLO file's latency objectives predict the knee at that saturation, and the Locust process (which places the profile
itself from what the harness hands it) offers each stage at the rate the harness placed."""
import json
import os
import subprocess
import sys

import pytest

from slo.file.load import load_slo
from stack.procs import ROOT
from tests.slos import LINEAR_SLO

pytestmark = [pytest.mark.integration, pytest.mark.load]

# Gated by name: the placed stages' rates depend on the machine, so the declared stage is the one that decides,
# with requests enough for p99 (368 with none over its threshold) in its 10 s measured. Short: it runs in make test.
PROFILE = """name: kneeplaced
kind: open
arrival: constant
scenario: {weights: {predict_user: 1}}
settle_s: 1
probe: {concurrency: [2], seconds: 2, warm_s: 0.5}
stages:
  - {name: g1, rate_rps: 60, duration_s: 11}
  - {name: k1-knee2, predicted_knee_share: 0.02, duration_s: 8}
  - {name: s3-sat3, saturation_share: 0.03, duration_s: 8}
"""


def test_the_stages_run_at_the_shares_of_the_knee_the_slo_file_predicts_at_the_measured_saturation(tmp_path):
    (tmp_path / "p.yaml").write_text(PROFILE)
    slo = tmp_path / "slo.yaml"
    slo.write_text(LINEAR_SLO.read_text().replace("required_rps: 1000", "stages: [g1]"))
    assert load_slo(slo).gate.stages == ["g1"]
    done = subprocess.run([sys.executable, "-m", "slobench", "loadtest", "--slo", str(slo), "--profile",
                           str(tmp_path / "p.yaml"), "--no-drift"], cwd=ROOT, capture_output=True, text=True,
                          timeout=240, env={**os.environ, "RESULTS_DIR": str(tmp_path / "results")})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run = (tmp_path / "results" / "latest").resolve()
    manifest = json.loads((run / "manifest.json").read_text())
    saturation = manifest["probe"]["rps"]
    knee = load_slo(slo).queue_knee_rps(saturation)
    placement = manifest["profile"]["placement"]
    assert placement["knee_rps"] == round(knee, 2) and placement["knee_shares"] == {"k1-knee2": 0.02}
    assert f"predicted knee: {round(knee, 2):g} req/s" in done.stdout
    placed = [60.0, round(0.02 * placement["knee_rps"], 1), round(0.03 * saturation, 1)]
    report = json.loads((run / "slo_report.json").read_text())
    assert [s["offered_rps"] for s in report["stages"]] == placed
    # What the Locust process sent: each stage at its placed rate (constant arrivals), as the API counted it.
    for stage, rate in zip(report["stages"], placed):
        assert stage["server"]["rps"] == pytest.approx(rate, rel=0.1), (stage["name"], stage["server"]["rps"], rate)
