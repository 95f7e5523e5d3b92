"""The target's real scrape interval, learned from Prometheus (never assumed), and how it was learned."""
from __future__ import annotations

import re
import statistics
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from common.prometheus_api import Prometheus, PrometheusError, matchers

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


@dataclass(frozen=True)
class ScrapeInterval:
    seconds: float
    source: str    # "targets API", "up sample spacing", "setting SCRAPE_INTERVAL"
    detail: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def parse_duration(text: str) -> float:
    """Prometheus durations as the targets API gives them: '15s', '1m', '1m30s', '500ms'."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def _matches(labels: dict, selector: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def from_targets(prometheus: Prometheus, up_selector: dict[str, str]) -> ScrapeInterval | None:
    """The scrapeInterval of the active targets the up_selector names (Prometheus >= 2.35)."""
    try:
        active = prometheus.active_targets()
    except PrometheusError:
        return None  # not a Prometheus with a targets API (or not answering yet): the caller tries another way
    targets = [t for t in active if _matches(t.get("labels", {}), up_selector)]
    intervals = {t["scrapeInterval"] for t in targets if t.get("scrapeInterval")}
    if not intervals:
        return None
    seconds = max(parse_duration(i) for i in intervals)  # the slowest target decides how fine a window can be
    names = ", ".join(sorted(t["labels"].get("instance", "?") for t in targets))
    return ScrapeInterval(seconds, "targets API", f"{len(targets)} target(s): {names}")


LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _address(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url if "//" in url else f"http://{url}")
    return (parts.hostname or "", parts.port or {"http": 80, "https": 443}.get(parts.scheme))


def targets_at(prometheus: Prometheus, url: str) -> list[dict]:
    """The active targets Prometheus scrapes at the host and port of `url` (the address a run loads); [] when none
    or when Prometheus has no targets API."""
    host, port = _address(url)
    try:
        active = prometheus.active_targets()
    except PrometheusError:
        return []
    found = []
    for t in active:
        h, p = _address(t.get("scrapeUrl", ""))
        if p == port and (h == host or {h, host} <= LOOPBACK):
            found.append(t)
    return found


def scope_at(targets: list[dict], declared: dict[str, str]) -> tuple[dict[str, str], list[str]] | None:
    """(up selector, instances) of the target found at the loaded address: its job, unless several jobs scrape that
    address and the SLO file's selector names none of them (ambiguous: raised, naming them)."""
    jobs = sorted({t.get("labels", {}).get("job", "") for t in targets})
    if not jobs:
        return None
    if len(jobs) > 1:
        if declared.get("job") not in jobs:
            raise PrometheusError(f"several jobs scrape the address this run loads ({', '.join(jobs)}), and the SLO "
                                  f"file's metrics.up_selector {declared} names none of them: set it to one")
        jobs = [declared["job"]]
    chosen = [t for t in targets if t.get("labels", {}).get("job", "") == jobs[0]]
    return {"job": jobs[0]}, sorted(t["labels"].get("instance", "") for t in chosen)


def from_up_samples(prometheus: Prometheus, up_selector: dict[str, str], at: float | None = None
                    ) -> ScrapeInterval | None:
    """The median spacing of the target's own `up` samples over the last 5 minutes (Thanos, Mimir, VictoriaMetrics)."""
    try:
        result = prometheus.query(f"up{matchers(up_selector)}[5m]", at)
    except PrometheusError:
        return None
    gaps = [float(b[0]) - float(a[0]) for series in result for a, b in zip(series["values"], series["values"][1:])]
    if len(gaps) < 3:
        return None
    return ScrapeInterval(round(statistics.median(gaps), 3), "up sample spacing", f"median of {len(gaps)} gaps")


def discover(prometheus_url: str, up_selector: dict[str, str], configured_s: float | None = None,
             wait_s: float = 15.0) -> ScrapeInterval:
    """An explicit setting wins; else the targets API; else the spacing of `up` samples; else an error.
    A Prometheus that has just started may not list its targets yet: it is asked again for up to wait_s."""
    if configured_s is not None:
        return ScrapeInterval(float(configured_s), "setting SCRAPE_INTERVAL")
    prometheus = Prometheus(prometheus_url, timeout=10, retries=0)
    deadline = time.monotonic() + wait_s
    found = from_targets(prometheus, up_selector) or from_up_samples(prometheus, up_selector)
    while found is None and time.monotonic() < deadline:
        time.sleep(1.0)
        found = from_targets(prometheus, up_selector) or from_up_samples(prometheus, up_selector)
    if found is None:
        raise PrometheusError(f"cannot learn the scrape interval of up{matchers(up_selector)} from {prometheus.url}: "
                              "no active target matches "
                              "the SLO file's metrics.up_selector and no up samples were found; check the selector, or "
                              "set SCRAPE_INTERVAL (seconds)")
    return found
