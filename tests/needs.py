"""One policy for what the tests need: a missing binary or package fails the test with how to get it, never skips."""
from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

import pytest

HOW = {
    "prometheus": "apt-get install prometheus (.ci/run installs it)",
    "promtool": "it comes with Prometheus: apt-get install prometheus (.ci/run installs it)",
    "chromium": "apt-get install chromium (.ci/run installs it)",
    "nginx": "apt-get install nginx (.ci/run installs it)",
    "schemathesis": "a test dependency: make setup installs it",
    "playwright.sync_api": "a test dependency (playwright): make setup installs it",
}


def binary(name: str) -> str:
    """The path of a command, from the venv first, then PATH; the test fails when it is missing."""
    venv = Path(sys.executable).parent / name
    path = str(venv) if venv.exists() else shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: {HOW.get(name, 'install it')}", pytrace=False)
    return path


def module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        pytest.fail(f"{name} cannot be imported ({exc}): {HOW.get(name, 'install it')}", pytrace=False)
