"""The drift check on 100,000 recorded predictions."""
from __future__ import annotations

import random
import sqlite3
import tempfile
import time
from pathlib import Path

from api.recorder import PredictionRecorder
from drift.recorded import check_recorded
from loadtests.traffic import load_traffic


def measure(rows: int = 100_000) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="slobench-drift-bench-"))
    payloads = load_traffic("serving")[1]
    rng = random.Random(7)
    rec = PredictionRecorder(tmp / "p.db", batch_size=5000)
    ids = load_traffic("serving")[0]
    for i in range(rows):
        k = rng.randrange(len(payloads))
        # As the API records them: a request id, the user, the inputs, the output, the latency, the model.
        rec.record((f"5f3a65f1e2b1c-{i:x}", 1_795_000_000.0 + i / 1000, "/predict", ids[k], payloads[k],
                    rng.random(), rng.randint(0, 1), rng.uniform(0.0005, 0.05), "churn-logreg-2024-01-31-dfa0311aa3",
                    4242))
    rec.close()
    with sqlite3.connect(tmp / "p.db") as conn:
        size = conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    t = time.perf_counter()
    result = check_recorded(tmp / "p.db", tmp, 0.30, 200)
    seconds = time.perf_counter() - t
    return {"rows": result["rows"], "seconds": round(seconds, 2), "decision": result["decision"],
            "bytes_per_row": round(size / rows, 1)}
