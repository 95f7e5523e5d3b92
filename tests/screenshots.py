"""The README's screenshots, made by the test tooling from real runs: `make screenshots` runs the profile RUNS
times into a scratch results folder, then shoots the newest run's report and the index in headless Chromium."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from stack.procs import ROOT
from tests.browser import launch

SHOTS = {  # file -> (page, the element to shoot, or None for the whole page)
    "report-over-time.png": ("report", "#chart-latency"),
    "report-tail.png": ("report", "#chart-tail-{last}"),
    "report-knee.png": ("report", "#chart-knee"),
    "report-top.png": ("report", None),
    "index.png": ("index", None),
}


def run_profile(results: Path, profile: str) -> None:
    done = subprocess.run([sys.executable, "-m", "slobench", "loadtest", "--profile", profile], cwd=ROOT,
                          env={**os.environ, "RESULTS_DIR": str(results)}, timeout=1800)
    if done.returncode not in (0, 1):
        raise SystemExit(f"the {profile} run could not be judged (exit {done.returncode})")


def shoot(results: Path, out: Path) -> list[Path]:
    import json

    from playwright.sync_api import sync_playwright

    run = (results / "latest").resolve()
    last = json.loads((run / "slo_report.json").read_text())["stages"][-1]["name"]
    pages = {"report": run / "report.html", "index": results / "index.html"}
    out.mkdir(parents=True, exist_ok=True)
    made = []
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        for name, (which, selector) in SHOTS.items():
            page.goto(pages[which].resolve().as_uri())
            page.wait_for_timeout(500)
            target = out / name
            if selector:
                page.locator(selector.format(last=last)).screenshot(path=str(target))
            else:
                page.screenshot(path=str(target))  # the first screen, as a reader opens it
            made.append(target)
        browser.close()
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="default")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--results", type=Path, default=ROOT / "test-output" / "screenshot-runs")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    for i in range(args.runs):
        print(f"run {i + 1} of {args.runs}: profile {args.profile}", flush=True)
        run_profile(args.results, args.profile)
    for path in shoot(args.results, args.out):
        print(f"screenshot: {path}")


if __name__ == "__main__":
    main()
