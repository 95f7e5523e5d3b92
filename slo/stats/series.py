"""The run over time for the report, from the saved range answers."""
from __future__ import annotations

import math


def server_series(raw_series: dict | None, wall_start: float) -> dict | None:
    """Per-step arrays from the saved range answers, t in seconds since the run started; None for a step with
    no value (no traffic yet, a target down) so a chart shows a gap rather than a made-up zero."""
    if not raw_series or not raw_series.get("answers"):
        return None
    start, end, step = raw_series["start"], raw_series["end"], raw_series["step_s"]
    grid = [round(start) + i * step for i in range(int((round(end) - round(start)) / step) + 1)]
    out: dict[str, list] = {"t": [round(t - wall_start, 3) for t in grid], "step_s": step}
    for name, answer in raw_series["answers"].items():
        values: list[float | None] = [None] * len(grid)
        for series in answer.get("result") or []:
            for ts, v in series.get("values", []):
                i = int(round((float(ts) - grid[0]) / step))
                v = float(v)
                if 0 <= i < len(grid) and not math.isnan(v) and not math.isinf(v):
                    values[i] = round(v + (values[i] or 0.0), 4)
        out[name] = values
    return out

