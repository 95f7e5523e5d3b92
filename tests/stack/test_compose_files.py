"""The Compose stack, tested statically: Docker is not on these machines."""
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from slo.file.load import load_slo
from tests import needs
from stack.dashboard import DASHBOARD_PATH, build

STACK = Path(__file__).resolve().parents[2] / "stack"
COMPOSE = yaml.safe_load((STACK / "docker-compose.yml").read_text())


def test_the_services_are_declared():
    assert set(COMPOSE["services"]) == {"api", "nginx", "prometheus", "grafana", "locust-master", "locust-worker"}


def test_the_api_scales_behind_nginx_and_prometheus_scrapes_every_replica():
    api, nginx = COMPOSE["services"]["api"], COMPOSE["services"]["nginx"]
    assert "ports" not in api and "container_name" not in api  # `--scale api=N` needs no fixed host port or name
    assert nginx["ports"] == ["127.0.0.1:${API_PORT:-8000}:8000"]
    conf = (STACK / "nginx" / "nginx.conf").read_text()
    assert re.search(r"upstream api \{[^}]*server api:8000[^;]*resolve;", conf) and "resolver 127.0.0.11" in conf
    assert "proxy_next_upstream error" in conf
    scrape = yaml.safe_load((STACK / "prometheus" / "prometheus.yml").read_text())["scrape_configs"][0]
    assert scrape["dns_sd_configs"] == [{"names": ["api"], "type": "A", "port": 8000, "refresh_interval": "5s"}]
    assert "{hostname}" in (STACK / "Dockerfile").read_text()  # each replica records into its own file


@pytest.mark.parametrize("service", ["nginx", "prometheus", "grafana"])
def test_every_published_port_is_bound_to_loopback(service):
    ports = COMPOSE["services"][service]["ports"]
    assert ports and all(p.startswith("127.0.0.1:") for p in ports)


def test_load_generators_are_a_master_and_scalable_workers_publishing_nothing():
    master, worker = COMPOSE["services"]["locust-master"], COMPOSE["services"]["locust-worker"]
    assert master["profiles"] == worker["profiles"] == ["load"]  # not started by a plain `compose up`
    assert "ports" not in master and "ports" not in worker
    assert "container_name" not in worker  # --scale locust-worker=N needs unnamed replicas
    assert master["environment"]["TARGET_URL"] == "http://nginx:8000"
    assert master["environment"]["LOCUST_WORKERS"].startswith("${LOCUST_WORKERS")
    assert worker["command"][:5] == ["python", "-m", "slobench", "worker", "--master"]
    assert worker["command"][5] == "locust-master:5557" and master["environment"]["LOCUST_MASTER_BIND"].endswith(":5557")
    assert worker["build"]["args"]["EXTRAS"] == "harness"  # a worker host needs no Evidently


def test_every_referenced_file_exists():
    for service in ("api", "locust-master", "locust-worker"):
        build = COMPOSE["services"][service]["build"]
        assert (STACK / build["context"] / build["dockerfile"]).is_file()
    for name in ("prometheus", "grafana"):
        for volume in COMPOSE["services"][name]["volumes"]:
            host = volume.split(":")[0]
            assert (STACK / host).exists(), volume


def test_grafana_has_no_default_credentials():
    env = COMPOSE["services"]["grafana"]["environment"]
    assert re.fullmatch(r"\$\{GRAFANA_ADMIN_PASSWORD:\?.+\}", env["GF_SECURITY_ADMIN_PASSWORD"])
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"


def test_the_prometheus_admin_api_stays_off():
    assert not any("admin-api" in arg for arg in COMPOSE["services"]["prometheus"]["command"])


def test_prometheus_scrapes_the_api_by_its_service_name():
    config = yaml.safe_load((STACK / "prometheus" / "prometheus.yml").read_text())
    assert config["scrape_configs"][0]["dns_sd_configs"][0]["names"] == ["api"]
    assert "localhost" in (STACK / "prometheus" / "prometheus.yml").read_text()  # the comment says why not


def test_the_api_image_runs_as_a_non_root_user():
    dockerfile = (STACK / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")


@pytest.mark.integration
def test_promtool_accepts_the_compose_prometheus_config(tmp_path):
    config = (STACK / "prometheus" / "prometheus.yml").read_text()
    config = config.replace("/etc/prometheus/rules", str(STACK / "rules"))
    (tmp_path / "prometheus.yml").write_text(config)
    done = subprocess.run([needs.binary("promtool"), "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_grafana_provisioning_points_at_prometheus_and_the_dashboard_folder():
    ds = yaml.safe_load((STACK / "grafana/provisioning/datasources/prometheus.yml").read_text())
    assert ds["datasources"][0]["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((STACK / "grafana/provisioning/dashboards/dashboards.yml").read_text())
    mounted = [v.split(":")[1] for v in COMPOSE["services"]["grafana"]["volumes"] if "dashboards:" in v]
    assert provider["providers"][0]["options"]["path"] in mounted


def test_the_dashboard_file_is_generated_from_the_slo_file():
    assert json.loads(DASHBOARD_PATH.read_text()) == build(load_slo().latency_thresholds_s()), \
        "regenerate with `slobench dashboard`"


def test_the_latency_panel_draws_every_latency_threshold():
    panel = next(p for p in build(load_slo().latency_thresholds_s())["panels"] if "p99" in p["title"])
    drawn = {s["value"] for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]}
    assert {0.075, 0.12, 0.3, 0.5} <= drawn  # p50, mean, p95, p99 of slo/slos.yaml


def test_the_api_image_serves_from_the_api_part_only():
    dockerfile = (STACK / "Dockerfile").read_text()
    serving = dockerfile.rsplit("\nFROM ", 1)[1]  # the last stage is the image that runs
    assert re.search(r"pip install --no-cache-dir \. ", serving), "the serving stage installs the bare package"
    assert "[" not in re.findall(r"pip install[^\n]*", serving)[0], "no extras in the serving stage"
    copied = set(re.findall(r"^COPY (\S+) \./", serving, re.M))
    assert copied <= {"pyproject.toml", "common", "api", "data"}, copied
