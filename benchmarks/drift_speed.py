"""The drift check on 100,000 recorded predictions."""
from __future__ import annotations

import random
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
    for i in range(rows):
        r = payloads[rng.randrange(len(payloads))]
        rec.record((f"r{i}", 1000.0 + i / 1000, "/predict", None, r, 0.3, 0, 0.001, "bench", 1))
    rec.close()
    t = time.perf_counter()
    result = check_recorded(tmp / "p.db", tmp, 0.30, 200)
    seconds = time.perf_counter() - t
    return {"rows": result["rows"], "seconds": round(seconds, 2), "decision": result["decision"]}
