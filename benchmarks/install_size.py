"""Disk size of the install for each role (README, "Install by role"), each in a fresh venv."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from stack.procs import ROOT

SOURCE = ("pyproject.toml", "README.md", "common", "api", "stack", "loadtests", "slo", "drift", "slobench", "benchmarks")
ROLES = {"API host (`pip install .`)": "", "worker host (`pip install '.[harness]'`)": "[harness]"}


def _size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 2**20


def _site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python*/site-packages"))


def _installed(src: Path, extras: str, where: Path) -> float:
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", f"{src}{extras}"],
                   check=True, stderr=subprocess.DEVNULL)
    return _size_mb(_site_packages(venv))


def measure() -> dict[str, float]:
    """MiB of site-packages per role; the full developer install is this checkout's .venv."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in SOURCE:
            (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, src / name)
        for i, (role, extras) in enumerate(ROLES.items()):
            (Path(tmp) / str(i)).mkdir()
            out[role] = _installed(src, extras, Path(tmp) / str(i))
    out["full (`make setup`: '.[all]')"] = _size_mb(_site_packages(Path(sys.prefix)))
    return out
