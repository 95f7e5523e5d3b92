"""The run folder's JSON files, read and written here: each knows its name (runfolder.names), how it is written,
and what a missing or unreadable one means. The packages that produce or use them hand over and get back data."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from runfolder import names


class TimelineError(FileNotFoundError):
    """A run folder without its stage timeline cannot be judged."""


@dataclass(frozen=True)
class JsonFile:
    """One JSON file of a run folder. `indent` as it is written (None: one line, for the large ones); `stringify`:
    values JSON cannot hold written as text (the manifest's paths and settings), else refused."""
    name: str
    indent: int | None = 2
    stringify: bool = False

    def path(self, run_dir: Path | str) -> Path:
        return Path(run_dir) / self.name

    def exists(self, run_dir: Path | str) -> bool:
        return self.path(run_dir).is_file()

    def write(self, run_dir: Path | str, doc) -> Path:
        path = self.path(run_dir)
        path.write_text(json.dumps(doc, indent=self.indent, default=str if self.stringify else None) + "\n")
        return path

    def read(self, run_dir: Path | str):
        """Its content, or None when the run folder has no such file or holds one that is not JSON (an older or
        interrupted run's: what needs it says what is missing)."""
        path = self.path(run_dir)
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            return None


class TimelineFile(JsonFile):
    """The stage timeline: without it a run cannot be judged, so a missing one is an error naming the folder."""

    def read(self, run_dir: Path | str) -> dict:
        path = self.path(run_dir)
        if not path.is_file():
            raise TimelineError(f"{path}: no stage timeline: was this folder written by a load run?")
        return json.loads(path.read_text())


TIMELINE = TimelineFile(names.STAGES)
MACHINE = JsonFile(names.MACHINE, indent=None)
CLIENT_STATS = JsonFile(names.CLIENT_STATS, indent=None)
ENDED = JsonFile(names.ENDED, indent=None)
LOOKS = JsonFile(names.LOOKS)
STAGE_ENDS = JsonFile(names.STAGE_ENDS)
HOLDS = JsonFile(names.HOLDS)
LADDER_LOOKS = JsonFile(names.LADDER_LOOKS)
LOCUST_DONE = JsonFile(names.LOCUST_DONE, indent=None)
PROMETHEUS_ANSWERS = JsonFile(names.PROMETHEUS_RAW, indent=1)
MANIFEST = JsonFile(names.MANIFEST, stringify=True)
