"""Open a report page in headless Chromium, offline, and say what it shows: charts drawn, console errors, a
screenshot kept with the test output (SCREENSHOTS_DIR, default test-output/screenshots)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from stack.procs import ROOT
from tests import needs

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


def launch(p):
    """Debian's Chromium (no browser download), headless, with the flags every test uses."""
    return p.chromium.launch(executable_path=needs.binary("chromium"), args=CHROMIUM_ARGS)


def screenshots_dir() -> Path:
    path = Path(os.environ.get("SCREENSHOTS_DIR") or ROOT / "test-output" / "screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Rendered:
    errors: list[str] = field(default_factory=list)     # console errors, page errors, requests that left the file
    charts: dict[str, dict] = field(default_factory=dict)  # key -> {"drawn", "traces": {name: {"x", "y"}}, "title"}
    text: str = ""
    screenshot: Path | None = None


# Per chart: whether plotly drew it (its SVG is in the box) and the data it drew, read back from the page.
_READ = """() => Array.from(document.querySelectorAll('.chart')).map(el => ({
  key: el.dataset.chart, drawn: !!el.querySelector('svg.main-svg'),
  title: (el.layout && el.layout.title && el.layout.title.text) || '',
  traces: (el.data || []).map(t => ({name: t.name, x: t.x, y: t.y}))}))"""


def render(path: Path, screenshot_name: str | None = None, width: int = 1280) -> Rendered:
    """Load the file with every network request refused (the page must need none) and read it back."""
    playwright = needs.module("playwright.sync_api")
    out = Rendered()
    with playwright.sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context(offline=True, viewport={"width": width, "height": 900})
            page = context.new_page()
            page.on("console", lambda m: out.errors.append(f"console: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda exc: out.errors.append(f"page error: {exc}"))
            page.on("request", lambda r: out.errors.append(f"request: {r.url}")
                    if not r.url.startswith(("file:", "data:", "about:")) else None)
            page.goto(Path(path).resolve().as_uri())
            page.wait_for_load_state("load")
            page.wait_for_timeout(300)
            out.charts = {c["key"]: {**c, "traces": {t["name"]: t for t in c["traces"]}} for c in page.evaluate(_READ)}
            out.text = page.inner_text("body")
            if screenshot_name:
                out.screenshot = screenshots_dir() / screenshot_name
                page.screenshot(path=str(out.screenshot), full_page=True)
        finally:
            browser.close()
    return out
