"""`slobench ui`: Locust's web UI in headless Chromium, a short test started from the page, a judged run folder."""
import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from slo.file.load import load_slo
from slo.prometheus.collect import collect
from slo.reports.live import stage_rows
from slo.verdicts.stage import StageJudge
from tests.slos import LINEAR_SLO
from stack.procs import ROOT, free_port, http_get, pid_alive, port_in_use, wait_until
from tests import browser as browser_tools, needs
from tests.profiles import closed_profile

pytestmark = [pytest.mark.integration, pytest.mark.load, pytest.mark.deployment]

PROFILE = closed_profile("tinyui", ("u1", 20, 100, 16))
# Picked in the start form's custom parameters instead of the profile the UI was started with.
PICKED = closed_profile("tinypick", ("p1", 20, 100, 16))


def window_rows(prometheus_url: str, row: dict) -> dict[str, str]:
    """The figures the report's judge reads from that Prometheus for the window a live row names."""
    spec = load_slo(LINEAR_SLO)
    stage = {"name": row["stage"], "measure_from": row["window_start"], "end": row["window_end"]}
    entry = collect(prometheus_url, spec, [stage], scrape_interval_s=1.0)["stages"][0]
    rows = stage_rows(StageJudge(spec, 1.0, poisson_arrivals=False), row["stage"], entry, row["window_start"], row["window_end"], None)
    return {r["objective"]: r["measured"] for r in rows}


def test_the_start_page_names_the_profile_and_a_profile_picked_there_is_the_one_judged(tmp_path):
    playwright = needs.module("playwright.sync_api")
    needs.binary("chromium")  # fails before anything starts when it is missing
    (tmp_path / "tinyui.yaml").write_text(PROFILE)
    (tmp_path / "tinypick.yaml").write_text(PICKED)
    port, prometheus_port = free_port(), free_port()
    results = tmp_path / "results"
    proc = subprocess.Popen([sys.executable, "-m", "slobench", "ui", "--slo", str(LINEAR_SLO), "--profile", str(tmp_path / "tinyui.yaml")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "RESULTS_DIR": str(results), "LOCUST_WEB_PORT": str(port),
                                 "API_PORT": str(free_port()), "PROMETHEUS_PORT": str(prometheus_port)})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_get(url + "/")[0] == 200, 90, "Locust web UI", proc)
        with playwright.sync_playwright() as p:
            browser = browser_tools.launch(p)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            # The page is a React app: clicking before its scripts have settled can be lost.
            page.goto(url, wait_until="networkidle")
            start = page.locator("#slobench-start").inner_text()
            assert "START runs profile tinyui: closed model, 1 stage, 16 s" in start, start
            assert "u1: 20 users, 200 req/s offered, 16 s" in start and "scrape interval of 1 s" in start, start
            # Locust's users and ramp-up fields, which the profile's shape ignores, are not shown.
            assert not page.locator("input[name='userCount']").is_visible()
            page.screenshot(path=str(tmp_path / "ui-start.png"))
            page.get_by_role("button", name="Custom parameters").click()
            page.locator("input[name='slobenchProfile']").fill(str(tmp_path / "nothing.yaml"))
            page.get_by_role("button", name="START").click()
            page.wait_for_timeout(1000)  # refused before any load: the form stays, the test does not start
            body = page.inner_text("body")
            assert "nothing.yaml: file not found" in body and "READY" in body.upper(), body[-1500:]
            assert not list(results.glob("*-ui"))
            page.locator("input[name='slobenchProfile']").fill(str(tmp_path / "tinypick.yaml"))
            page.get_by_role("button", name="START").click()
            deadline = time.time() + 15
            while time.time() < deadline and "RUNNING" not in page.inner_text("body").upper():
                page.wait_for_timeout(250)
            page.screenshot(path=str(tmp_path / "ui-running.png"))
            assert "RUNNING" in page.inner_text("body").upper()
            # The live SLO tab: the current stage's server-side figures against the thresholds.
            page.get_by_role("tab", name="SLO (live)").click()
            deadline = time.time() + 12
            while time.time() < deadline and "p99" not in page.inner_text("body"):
                page.wait_for_timeout(500)
            # The tab's rows as Locust's stats endpoint serves them, until the page shows the same p99 (both
            # refresh every 2 s).
            deadline = time.time() + 10
            while True:
                live = {r["objective"]: r for r in
                        json.loads(http_get(url + "/stats/requests")[1])["extended_stats"][0]["data"]}
                body = page.inner_text("body")
                shown = live.get("p99", {}).get("measured", "-") in body
                decided = all(r["status"] in ("pass", "warn", "fail") for r in live.values())
                if (shown and decided) or time.time() > deadline:
                    break
                page.wait_for_timeout(300)
            page.screenshot(path=str(tmp_path / "ui-slo-tab.png"))
            browser.close()
        assert set(live) == {"p50", "p95", "p99", "mean", "errors", "availability", "throughput"}, live
        # Early in a window an objective may still be undecided (inconclusive, so far); none fails on a healthy API.
        assert all(r["stage"] == "p1" for r in live.values()) and live["p99"]["status"] in ("pass", "inconclusive"), live
        assert {r["status"] for r in live.values()} <= {"pass", "inconclusive"}, live
        assert live["p99"]["threshold"] == "100.0 ms" and live["p99"]["measured"] in body, body[-2000:]
        # 20 users at 10 req/s against a healthy API: nothing failed, everything offered was served.
        assert (live["errors"]["measured"], live["availability"]["measured"]) == ("0.00%", "1"), live
        assert float(live["throughput"]["measured"].rstrip("%")) >= 95, live
        # The session's Prometheus judges the window the tab names as the tab showed it.
        again = window_rows(f"http://127.0.0.1:{prometheus_port}", live["p99"])
        shown = {k: live[k]["measured"] for k in ("p50", "p95", "p99", "mean")}
        assert {k: again[k] for k in shown} == shown, (again, live)
        wait_until(lambda: any(results.glob("*-ui/slo_report.json")), 90, "the UI run's report")
        time.sleep(1)  # the report files are written together
        # The start page reads the running generator: the profile it runs now is the one the form picked. (Read
        # once the test is over: a page load in Chromium during the window moved the judged p99 off the live one.)
        banner = http_get(url + "/")[1].decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=60)[0]
    run = next(results.glob("*-ui"))
    report = json.loads((run / "slo_report.json").read_text())
    assert report["verdict"]["exit_code"] == 0 and [s["name"] for s in report["stages"]] == ["p1"]
    assert report["run"]["profile"] == "tinypick" and run.name.endswith("-tinypick-ui")
    assert "<h2>START runs profile tinypick: closed model, 1 stage, 16 s</h2>" in banner, banner[:3000]
    assert json.loads((run / "manifest.json").read_text())["profile"]["name"] == "tinypick"
    # The tab judged part of the stage the report judged: a window that began with it and ended inside it.
    judged = report["stages"][0]["window"]
    assert judged["start"] == pytest.approx(live["p99"]["window_start"], abs=0.01), (judged, live["p99"])
    assert live["p99"]["window_start"] < live["p99"]["window_end"] <= judged["end"], (judged, live["p99"])
    for name in ("report.html", "junit.xml", "locust_stats.csv", "locust_report.html", "stages.json", "manifest.json"):
        assert (run / name).is_file(), name
    assert (tmp_path / "ui-running.png").stat().st_size > 10_000
    assert (tmp_path / "ui-slo-tab.png").stat().st_size > 10_000
    assert "Traceback" not in out and "Verdict: PASS" in out
    assert proc.returncode == 0 and "slobench: exit 0" in out  # the newest judged test's code
    man = json.loads((run / "manifest.json").read_text())
    assert man["slo_file"].endswith("linear.yaml")
    # The same session as a load run's: the full manifest (what the API serves, its workers, the canaries, the
    # scope), so the answers are checked against the served model as after any run.
    assert man["ran"]["api"]["started_here"] and man["ran"]["api"]["serving"]["model"] == "linear"
    assert man["ran"]["api"]["workers"] == 1 and man["canary"]["api"] and man["scope"]["instances"]
    assert report["answers"]["status"] == "checked" and report["answers"]["wrong"] == 0, report["answers"]
    assert not port_in_use(port)
    api_pid = json.loads((run / "manifest.json").read_text())["ran"]["api"]["pid"]
    assert not pid_alive(api_pid)


def test_stopped_before_any_test_ran_the_ui_exits_2_having_judged_nothing(tmp_path):
    """Not a pass about nothing: no test started from the page, no verdict. And the UI listens on loopback only."""
    (tmp_path / "tinyui.yaml").write_text(PROFILE)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "slobench", "ui", "--slo", str(LINEAR_SLO), "--profile",
                             str(tmp_path / "tinyui.yaml")], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "RESULTS_DIR": str(tmp_path / "results"), "LOCUST_WEB_PORT": str(port)})
    try:
        wait_until(lambda: http_get(f"http://127.0.0.1:{port}/")[0] == 200, 90, "Locust web UI", proc)
        # The web UI listens on loopback only.
        assert {c.laddr.ip for c in psutil.net_connections(kind="inet")
                if c.status == psutil.CONN_LISTEN and c.laddr.port == port} == {"127.0.0.1"}
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=60)[0]
    assert proc.returncode == 2, out[-2000:]
    assert "no test was run from the web UI: nothing was judged" in out and "every gated objective met" not in out
    assert not port_in_use(port)
