"""API replicas behind a real nginx: a replica killed mid-run is named, the others keep serving, nothing
a live replica acknowledged is lost."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.slos import LINEAR_SLO
from stack.procs import ROOT, pid_alive
from tests import needs
from tests.reader import Lines
from tests.profiles import closed_profile

pytestmark = [pytest.mark.integration, pytest.mark.load, pytest.mark.deployment]
PROFILE = closed_profile("replicas", ("r1", 20, 100, 12), ("r2", 20, 100, 16), weights="{predict_user: 1}")


def _ids(db) -> set[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return {r[0] for r in conn.execute("SELECT request_id FROM rows")}


def test_a_replica_killed_mid_run_is_named_and_the_others_lose_nothing(tmp_path):
    needs.binary("nginx")
    (tmp_path / "p.yaml").write_text(PROFILE)
    proc = subprocess.Popen([sys.executable, "-m", "slobench", "loadtest", "--slo", str(LINEAR_SLO), "--profile", str(tmp_path / "p.yaml"),
                             "--no-drift"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "RESULTS_DIR": str(tmp_path / "results"), "API_REPLICAS": "2"},
                            start_new_session=True)
    lines = Lines(proc)
    assert lines.until(lambda line: "[slobench] stage 1/2" in line, 120), "".join(lines.seen)
    time.sleep(6)  # well inside stage r2's measured window
    state = json.loads(next((tmp_path / "results").glob("*/stack/stack.json")).read_text())
    killed = state["owned"]["r1"]
    os.kill(killed["pid"], signal.SIGKILL)
    killed_at = time.time()
    out = lines.rest(timeout=120)
    run = (tmp_path / "results" / "latest").resolve()
    report = json.loads((run / "slo_report.json").read_text())
    state_replicas = json.loads((run / "manifest.json").read_text())["ran"]["api"]["replicas"]
    dead, live = state_replicas
    assert report["verdict"]["exit_code"] == 1  # every replica must stay up: availability fails in r2
    r2 = report["stages"][1]
    assert set(r2["server"]["replicas"]) == {dead, live}
    assert r2["server"]["replicas"][dead]["down_at"] is not None and r2["server"]["replicas"][live]["up_min"] == 1
    assert report["replicas"]["first_broken"]["replica"] == dead
    assert any(f"found replica {dead} down at" in s for s in report["sentences"]), report["sentences"]
    assert "every replica up" in next(o["detail"] for o in r2["objectives"] if o["name"] == "availability")
    # nginx kept serving from the live replica: at most the requests in flight on the dead one failed.
    assert r2["client"]["failures"] <= 20 and r2["client"]["requests"] > 1000, r2["client"]
    # Every prediction the generator got from the live replica is in the live replica's recording.
    answered = _ids(run / "sent_predictions.db")  # every generator process's answers, merged when the run was judged
    recorded_live = _ids(run / "predictions.r2.db")
    recorded_dead = _ids(run / "predictions.r1.db")
    assert recorded_live <= answered and recorded_dead <= answered
    missing = answered - recorded_live - recorded_dead
    # Only the dead one's last rows (answered, not yet flushed: its recorder writes every 0.2 s): every missing
    # prediction was answered by the time of the kill, and there are at most a flush interval's worth of them.
    with sqlite3.connect(f"file:{run / 'sent_predictions.db'}?mode=ro", uri=True) as conn:
        answered_at = dict(conn.execute("SELECT request_id, ts FROM rows"))
    assert all(answered_at[i] <= killed_at + 0.5 for i in missing), sorted(answered_at[i] - killed_at for i in missing)
    assert len(missing) <= 0.2 * r2["client"]["rps"] + 20, len(missing)
    # The stack's down stopped everything it started: nginx, Prometheus and the replica that survived.
    assert [k for k, v in state["owned"].items() if pid_alive(v["pid"])] == []
