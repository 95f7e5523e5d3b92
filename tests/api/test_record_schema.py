"""The recording keeps every field, in typed compact columns, and gives them back through its views."""
import json
import random
import sqlite3

import pytest

from api.data import load_snapshot
from api.features import FEATURES
from api.record_schema import Writer, connect, merge_into


@pytest.fixture(scope="module")
def served():
    frame = load_snapshot("2024-02-29")
    rows = [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
            for r in frame[["user_id", *FEATURES]].to_dict("records")]
    rng = random.Random(3)
    out = []
    for i in range(20_000):
        r = rng.choice(rows)
        features = {f: r[f] for f in FEATURES}
        # The writers hand features over as a tuple (online table), a dict (validated body) or JSON (older callers).
        given = [tuple(features[f] for f in FEATURES), features, json.dumps(features)][i % 3]
        out.append((f"5f3a65f1e2b1c-{i:x}", 1_795_000_000.0 + i / 1000, ["/predict", "/predict/features"][i % 2],
                    r["user_id"], given, rng.random(), rng.randint(0, 1), rng.uniform(0.0005, 0.2),
                    "churn-logreg-2024-01-31-dfa0311aa3", 4242, features))
    return out


def _write(path, rows):
    conn = connect(path)
    Writer(conn).write([r[:10] for r in rows])
    return conn


def test_every_field_comes_back_through_the_views(tmp_path, served):
    conn = _write(tmp_path / "p.db", served)
    back = conn.execute("SELECT request_id, ts, endpoint, user_id, features, probability, prediction, latency_s, "
                        "model_version, worker_pid FROM predictions ORDER BY rowid").fetchall()
    assert len(back) == len(served)
    for got, sent in zip(back, served):
        assert got[:4] == sent[:4] and got[5:7] == sent[5:7] and got[8:] == sent[8:10]
        assert json.loads(got[4]) == sent[10]  # the 14 inputs, booleans and net_service as they were sent
        assert got[7] == pytest.approx(sent[7], abs=1e-6)  # latency kept to the microsecond
    wide = conn.execute(f"SELECT {', '.join(FEATURES)} FROM predictions_wide LIMIT 1").fetchone()
    assert dict(zip(FEATURES, wide)) == {f: int(v) if isinstance(v, bool) else v for f, v in served[0][10].items()}


def test_a_row_costs_under_150_bytes(tmp_path, served):
    conn = _write(tmp_path / "p.db", served)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    assert pages / len(served) < 150, pages / len(served)


def test_files_of_several_writers_merge_with_their_model_versions(tmp_path, served):
    a = _write(tmp_path / "a.db", served[:100])
    other = [(*r[:8], "another-model", *r[9:]) for r in served[100:200]]
    _write(tmp_path / "b.db", other).close()
    merge_into(a, tmp_path / "b.db")
    versions = dict(a.execute("SELECT model_version, count(*) FROM predictions GROUP BY model_version").fetchall())
    assert versions == {"churn-logreg-2024-01-31-dfa0311aa3": 100, "another-model": 100}
    assert sqlite3.connect(tmp_path / "b.db").execute("SELECT count(*) FROM rows").fetchone()[0] == 100


def test_a_row_without_its_inputs_is_still_recorded(tmp_path):
    conn = connect(tmp_path / "p.db")
    Writer(conn).write([("r1", 1.0, "/predict", None, "{}", 0.5, 0, 0.001, "m", 1)])
    assert conn.execute("SELECT request_id, months_active, net_service FROM predictions_wide").fetchall() == [("r1", None, None)]
