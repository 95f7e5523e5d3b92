"""Security defaults: loopback binds, no default credentials, no secrets in the repository."""
import re
import subprocess

import pytest

from api.settings import ApiSettings
from stack.prometheus_server import render_config
from stack.procs import ROOT


def test_the_api_binds_loopback_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("API_HOST", raising=False)
    assert ApiSettings().api_host == "127.0.0.1"


def test_the_generated_prometheus_configuration_names_no_open_address():
    assert "0.0.0.0" not in render_config("127.0.0.1:1", 1)


def _tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    if out.returncode != 0 or not out.stdout:
        pytest.fail(f"git ls-files failed in {ROOT}: this test checks what a git checkout tracks", pytrace=False)
    return [f for f in out.stdout.split() if not f.startswith("data/") and not f.endswith((".png", ".csv"))]


@pytest.mark.integration   # git ls-files
@pytest.mark.parametrize("pattern", [
    r"admin[:/]admin", r"GF_SECURITY_ADMIN_PASSWORD:\s*[\"']?\w", r"(?i)api[_-]?key\s*[:=]\s*['\"][A-Za-z0-9]{16,}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"AKIA[0-9A-Z]{16}",
], ids=["admin/admin", "a hard-coded Grafana password", "an API key", "a private key", "a cloud access key"])
def test_no_default_credentials_or_secrets_are_tracked(pattern):
    offenders = [f for f in _tracked() if (ROOT / f).is_file() and f != "tests/stack/test_security_defaults.py"
                 and re.search(pattern, (ROOT / f).read_text(errors="ignore"))]
    assert offenders == []
