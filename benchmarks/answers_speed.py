"""The answers check and the performance estimate on a run's worth of forest answers."""
from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from answers import check
from api import models
from api.data import load_snapshot
from api.record_schema import Writer, connect
from drift import performance
from loadtests.traffic import load_traffic


def measure(rows: int = 20_000) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="slobench-answers-bench-"))
    ids, payloads = load_traffic("serving")[:2]
    rng = random.Random(7)
    model = models.load(models.default_path("forest"))
    conn = connect(tmp / "sent.db", wal=False)
    picks = [rng.randrange(len(payloads)) for _ in range(rows)]
    # As the generator keeps them: what it sent, and the answer's outputs (random here: the cost is the same).
    Writer(conn).write([(f"r{i}", 100 + i / 100, "/predict", ids[k], payloads[k], rng.random(), rng.randint(0, 1), 0.0,
                         model.version, 1) for i, k in enumerate(picks)])
    conn.close()
    stages = [{"name": "all", "start": 0, "end": 1e12}]
    t = time.perf_counter()
    checked = check.check(tmp / "sent.db", check.Artifact(model, Path("forest")), stages)
    check_s = time.perf_counter() - t
    served = check.read_answers(tmp / "sent.db")
    t = time.perf_counter()
    performance.assess(model, load_snapshot(model.metadata["trained_as_of"]), served, 0.05)
    return {"rows": checked["checked"], "check_s": round(check_s, 2), "assess_s": round(time.perf_counter() - t, 2)}
