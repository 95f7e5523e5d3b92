"""Change points in the history of runs (Apache Otava): one step, one change point at the step; none in noise."""
import json

import numpy as np
import pytest

from slobench import change_points
from slobench.history import write_index


def _rows(p99s, capacity=None, profile="default"):
    return [{"profile": profile, "run": f"run-{i:02d}", "started": 1000 + i, "capacity_rps": (capacity or {}).get(i, 3000.0),
             "stages": {"s1": {"p99_ms": v, "mean_ms": v / 5}}} for i, v in enumerate(p99s)]


def _noisy(n, level, seed):
    return list(np.random.default_rng(seed).normal(level, 0.05 * level, n))


def test_one_step_gives_one_change_point_at_the_step():
    found = change_points.of_history(_rows(_noisy(8, 20, 1) + _noisy(8, 30, 2)))
    p99 = [c for c in found if c["series"] == "s1 p99 (ms)"]
    assert [c["run"] for c in p99] == ["run-08"]  # the first run after the step
    assert p99[0]["p_value"] < change_points.MAX_PVALUE and p99[0]["change"] == pytest.approx(0.5, abs=0.08)
    assert [c["run"] for c in found if c["series"] == "s1 mean (ms)"] == ["run-08"]
    assert not [c for c in found if c["series"].startswith("capacity")]  # capacity never moved


@pytest.mark.parametrize("seed", [3, 4, 5], ids=["noise, first draw", "second draw", "third draw"])
def test_identical_runs_show_none(seed):
    assert change_points.of_history(_rows(_noisy(16, 20, seed))) == []


def test_a_short_history_is_not_tested():
    assert change_points.detect([1.0, 1.0, 5.0]) == []


def test_the_index_lists_the_change_point_and_marks_its_run(tmp_path, monkeypatch):
    rows = _rows(_noisy(6, 3000, 1), profile="p")
    for r in rows[3:]:
        r["capacity_rps"] *= 0.6
    for r in rows:
        r.update(commit="", verdict="pass", capacity_stage="s1", gated_p99_ms=r["stages"]["s1"]["p99_ms"],
                 p99_slo_ms=100, drift="-")
    monkeypatch.setattr("slobench.history.collect", lambda results: (rows, 0))
    page = write_index(tmp_path).read_text()
    assert "data-change-run=\"run-03\"" in page and "Change points (1)" in page
    charts = json.loads(page.split("id='charts'>")[1].split("</script>")[0])
    capacity = next(c for c in charts if c["key"] == "capacity_rps")
    assert capacity["figure"]["data"][0]["marker"]["symbol"] == ["circle"] * 3 + ["diamond"] + ["circle"] * 2
