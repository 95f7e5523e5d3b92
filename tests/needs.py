"""One policy for what the tests need: a missing binary or package fails the test with how to get it, never skips."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from stack import system_tools

HOW = {
    "prometheus": "apt-get install prometheus (make test installs it as root)",
    "promtool": "it comes with Prometheus: apt-get install prometheus (make test installs it as root)",
    "chromium": "apt-get install chromium (make test installs it as root)",
    "nginx": "apt-get install nginx (make test installs it as root)",
    "schemathesis": "a test dependency: make setup installs it",
    "playwright.sync_api": "a test dependency (playwright): make setup installs it",
}


def binary(name: str) -> str:
    """The path of a command, from the venv first, then PATH; the test fails when it is missing."""
    venv = Path(sys.executable).parent / name
    path = str(venv) if venv.exists() else system_tools.locate(name)
    if path is None:
        pytest.fail(f"{name} is missing: {HOW.get(name, 'install it')}", pytrace=False)
    return path


def module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        pytest.fail(f"{name} cannot be imported ({exc}): {HOW.get(name, 'install it')}", pytrace=False)
