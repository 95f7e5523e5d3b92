"""The run manifest: what ran, where, with which versions, and when."""
from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
from importlib import metadata
from pathlib import Path

import psutil

from slobench.settings import ROOT
from runfolder import files

PACKAGES = ("locust", "fastapi", "uvicorn", "prometheus-client", "prometheus-api-client", "evidently", "pandas", "scikit-learn",
            "skops")


def _git() -> dict:
    def run(*args):
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else None
    return {"commit": run("rev-parse", "HEAD"), "dirty": bool(run("status", "--porcelain"))}


def _prometheus_version() -> str | None:
    binary = shutil.which("prometheus")
    if not binary:
        return None
    done = subprocess.run([binary, "--version"], capture_output=True, text=True)
    return (done.stdout or done.stderr).splitlines()[0] if done.returncode == 0 else None


def versions() -> dict:
    out = {"python": platform.python_version(), "prometheus": _prometheus_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


def host() -> dict:
    return {"hostname": socket.gethostname(), "cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "platform": platform.platform()}


def new(profile, slo_path: Path, settings) -> dict:
    return {"profile": profile.model_dump(mode="json"), "slo_file": str(slo_path), "versions": versions(), "git": _git(),
            "host": host(), "settings": settings.model_dump(mode="json"), "ran": {}, "stages": None}


def summary(run_dir: Path) -> dict | None:
    """What a report shows of the manifest: versions, commit, host, and what shared the machine."""
    m = files.MANIFEST.read(run_dir)
    if m is None:
        return None
    ran = m.get("ran") or {}
    return {"git": m.get("git"), "versions": m.get("versions"), "host": m.get("host"), "slo_file": m.get("slo_file"),
            "shared_machine": ran.get("shared_machine"),
            "processes": {k: {"url": v.get("url"), "cpus": v.get("cpus")} for k, v in ran.items() if isinstance(v, dict)},
            # How the model was served: where predictions ran, worker processes, replicas, the cores it had.
            "api": {k: (ran.get("api") or {}).get(k) for k in ("serving", "workers", "replicas", "cpus", "started_here")},
            "generators": (ran.get("locust") or {}).get("processes"),
            "canary": m.get("canary"), "probe": m.get("probe"),
            "remote_workers": (ran.get("locust") or {}).get("remote_workers")}



def canaries(api: dict | None, api_cpus: set[int] | None, generator_cpus: set[int] | None, log=print) -> dict:
    """The machine's speed before any load: the served model's fixed work as the API timed it on its own core when
    it started (its /health says it; an API that is not ours does not), and the generator's own, on its cores."""
    from common.canary import describe, generator_work

    out = {"generator": generator_work(generator_cpus).as_dict(),
           "api": {**api, "cpus": sorted(api_cpus or [])} if api else None,
           "api_skipped": None if api else "the target's /health reports no canary (an API that is not slobench's)"}
    log("machine speed: " + describe(out))
    return out
