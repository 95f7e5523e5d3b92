"""Finding Prometheus: PROMETHEUS_BIN, PATH, apt-get as root; otherwise a clear message and nothing started."""
import os
import subprocess

import pytest
import yaml

from stack import prometheus_server
from stack.__main__ import main
from tests import needs


def test_a_non_root_user_without_prometheus_gets_the_options_and_nothing_starts(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("PROMETHEUS_BIN", raising=False)
    monkeypatch.delenv("PROMETHEUS_URL", raising=False)
    assert main(["up"]) == 1
    err = capsys.readouterr().err
    assert "you are not root" in err
    for option in ("apt-get install -y prometheus", "PROMETHEUS_BIN", "PROMETHEUS_URL", "make compose-up"):
        assert option in err
    assert not (tmp_path / "state").exists()  # nothing half-started


def test_prometheus_bin_that_is_not_executable_is_named(tmp_path):
    with pytest.raises(prometheus_server.PrometheusUnavailable, match="PROMETHEUS_BIN=.*not an executable"):
        prometheus_server.find_binary(str(tmp_path / "nope"))


def test_prometheus_on_the_path_is_found(tmp_path, monkeypatch):
    fake = tmp_path / "prometheus"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert prometheus_server.find_binary(None, install=False) == str(fake)


def test_an_unreachable_prometheus_url_is_refused(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PROMETHEUS_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("STATE_DIR", str(tmp_path / "state"))
    assert main(["up"]) == 1
    assert "PROMETHEUS_URL=http://127.0.0.1:9 does not answer" in capsys.readouterr().err


@pytest.mark.integration   # promtool
@pytest.mark.parametrize("targets, rules", [
    ("127.0.0.1:8123", []),
    (["127.0.0.1:8123", "127.0.0.1:8124"], ["rules.yml"]),
], ids=["one API without rules", "replicas with a rules file"])
def test_the_rendered_config_scrapes_the_api_every_interval_and_promtool_accepts_it(tmp_path, targets, rules):
    (tmp_path / "rules.yml").write_text("groups: []\n")
    text = prometheus_server.render_config(targets, 1, [tmp_path / r for r in rules])
    config = yaml.safe_load(text)
    assert config["global"]["scrape_interval"] == "1s"
    [job] = config["scrape_configs"]
    assert job["job_name"] == "api" and job["static_configs"] == [{"targets": [targets] if isinstance(targets, str)
                                                                    else targets}]
    assert config.get("rule_files", []) == [str(tmp_path / r) for r in rules]
    (tmp_path / "prometheus.yml").write_text(text)
    check = subprocess.run([needs.binary("promtool"), "check", "config", str(tmp_path / "prometheus.yml")],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
