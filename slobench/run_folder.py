"""A run's folder as the judge reads it: one object that knows its layout, each file read once, on first use."""
from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

from loadtests import client_figures, client_series, sent, timeline
from slobench import manifest
from stack import monitor

ENDED_FILE = "ended.json"  # how the load ended: Locust's exit code, an interrupt (written by the pipeline)


class RunFolder:
    """The timeline, the generators' merged figures, how the load ended and what ran, of one run folder."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    @cached_property
    def timeline(self) -> dict:
        return timeline.read(self.path)

    @cached_property
    def merged(self) -> dict | None:
        """The Locust master's merge of every process's HDR histograms (client_stats.json); None without one."""
        return client_figures.load(self.path)

    def client_figures(self, endpoint: str | None) -> dict[str, dict | None]:
        """The generator's figures per stage; None per stage when the run has none (a Locust that died first)."""
        return {st["name"]: None if self.merged is None else client_figures.stage_figures(self.merged, st, endpoint)
                for st in self.timeline["stages"]}

    def client_seconds(self) -> dict | None:
        """The generator's figures second by second, over the run."""
        tl = self.timeline
        return client_series.series((self.merged or {}).get("series"), tl["wall_start"], tl["stopped_at"])

    def ended(self) -> dict:
        """How the run ended, for the completeness check: what the pipeline recorded, and the workers' finals."""
        path = self.path / ENDED_FILE
        recorded = json.loads(path.read_text()) if path.is_file() else {}
        return {**recorded, "finals": (self.merged or {}).get("finals"), "clocks": (self.merged or {}).get("clocks")}

    def machine(self) -> dict | None:
        """What the harness sampled of the API's cores each second while the load ran (None: it did not start it)."""
        return monitor.read(self.path)

    def manifest(self) -> dict | None:
        return manifest.summary(self.path)

    def merge_sent(self) -> Path | None:
        """Each generator process's answered predictions, into the one file the drift check reads."""
        return sent.merge(self.path)
