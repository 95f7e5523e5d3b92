# slobench: `make help` lists the targets. Every target sets up what it needs first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# The served model: the lab's random forest (default) or the folded linear scorer; the API, the stack and the
# tests' processes read API_MODEL from the environment.
API_MODEL ?= forest
export API_MODEL
MODEL := models/churn-$(API_MODEL)$(if $(filter linear,$(API_MODEL)),.json,.skops)
PROFILE ?= default
export PYTHONUNBUFFERED := 1

.DEFAULT_GOAL := help
.PHONY: screenshots report worker capacity rules help setup model api stack-up stack-down stack-status compose-up compose-down loadtest ui evaluate drift bench test test-unit test-deployments coverage clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[all]"
	@touch $@

setup: $(STAMP) ## Create .venv and install the project (idempotent)

$(MODEL): $(STAMP) api/models/*.py api/features.py api/data.py
	$(PY) -m api.train --model $(API_MODEL) --out $@

model: $(MODEL) ## Train the served model on month_000 (API_MODEL=forest|linear, seed 42)

api: $(MODEL) ## Serve the API on 127.0.0.1:8000 (API_MODEL, API_HOST, API_PORT, API_WORKERS, API_BATCH_MAX, PREDICTIONS_DB)
	$(PY) -m api

stack-up: $(MODEL) ## Start the API and a local Prometheus (installs Prometheus as root when missing)
	$(PY) -m stack up

stack-down: $(STAMP) ## Stop what stack-up started
	$(PY) -m stack down

stack-status: $(STAMP) ## Say what of the local stack runs
	$(PY) -m stack status

compose-up: $(MODEL) ## Start API, Prometheus and Grafana with Docker Compose (GRAFANA_ADMIN_PASSWORD required)
	docker compose -f stack/docker-compose.yml up -d --build

compose-down: ## Stop the Compose stack
	docker compose -f stack/docker-compose.yml down

loadtest: $(MODEL) ## Full run: stack, Locust (PROFILE=default|smoke|long|drifted|linear, API_MODEL=forest|linear, REPEAT=N, BASELINE=), SLO and drift reports
	$(PY) -m slobench loadtest --profile $(PROFILE) $(if $(REPEAT),--repeat $(REPEAT)) $(if $(SLO),--slo $(SLO)) $(if $(BASELINE),--baseline $(BASELINE)) $(if $(FAIL_ON_DRIFT),--fail-on-drift)

worker: $(STAMP) ## A load-generator worker for a master on another host: make worker MASTER=host[:port] (it runs the master's profile)
	@test -n "$(MASTER)" || { echo "make worker needs MASTER=host[:port] (the host running make loadtest with LOCUST_WORKERS=N)" >&2; exit 2; }
	$(PY) -m slobench worker --master $(MASTER)

capacity: $(MODEL) ## The default run refining its knee longer: the capacity to 5 %, or as near as BUDGET=300 seconds of steps allow (LOOKS=3: steps end when decided)
	$(PY) -m slobench capacity $(if $(PROFILE),--profile $(PROFILE)) $(if $(SLO),--slo $(SLO)) $(if $(BUDGET),--budget-seconds $(BUDGET)) $(if $(LOOKS),--looks $(LOOKS))

ui: $(MODEL) ## Locust web UI on 127.0.0.1:8089 against the local stack; reports when a test stops
	$(PY) -m slobench ui --profile $(PROFILE) $(if $(SLO),--slo $(SLO))

evaluate: $(STAMP) ## Re-judge a past run without load: make evaluate RUN=results/<run> [SLO=file]
	$(PY) -m slobench evaluate $(or $(RUN),results/latest) $(if $(SLO),--slo $(SLO)) $(if $(BASELINE),--baseline $(BASELINE)) $(if $(FAIL_ON_DRIFT),--fail-on-drift)

drift: $(STAMP) ## Evidently drift: month against month (REF, CUR), or a run's recorded traffic (RUN=results/<run>)
	$(PY) -m drift $(if $(RUN),--run $(RUN),--ref $(or $(REF),2024-01-31) --cur $(or $(CUR),2024-02-29)) $(if $(THRESHOLD),--threshold $(THRESHOLD))

report: $(STAMP) ## Rebuild results/index.html, the history of runs (RERENDER=1: every run's report.html too)
	$(PY) -m slobench report $(if $(RERENDER),--rerender)

screenshots: $(MODEL) ## Remake the README's screenshots from RUNS=3 real runs of PROFILE (about 8 minutes)
	$(PY) -m tests.screenshots --profile $(PROFILE) --runs $(or $(RUNS),3)

bench: $(MODEL) ## Measure and write docs/benchmarks.md: API throughput, overhead, inference, drift, report, generator, the instrument's own error, install sizes, a run against a known knee (about 21 min)
	$(PY) -m benchmarks

# Everything that sends no load runs on both cores; then the load runs, two at a time, each kept to a core of its own
# with everything it starts (tests/conftest.py): never two runs on one core. A phase that selects no test fails
# (pytest's exit 5). make test keeps to 10 minutes; the deployments beyond the README's path (another API or
# Prometheus, replicas, remote workers, faults, the web UI, an API-only install) are make test-deployments.
test: $(MODEL) ## Run the test suite of the README's path (installs Prometheus, nginx, Chromium, iproute2 as root when missing; under 10 minutes)
	$(PY) -m stack.system_tools
	$(PY) -m pytest -m "not load and not coverage and not deployment" -n 2 --durations=15 $(PYTEST_ARGS)
	SLOBENCH_TEST_CORE_PER_WORKER=1 $(PY) -m pytest -m "load and not deployment" -n 2 --dist loadfile --durations=25 $(PYTEST_ARGS)

test-deployments: $(MODEL) ## The tests of deployments beyond the README's path: another API or Prometheus, replicas, remote workers, faults, the web UI, an API-only install (about 7 minutes; CI runs them after make test)
	$(PY) -m stack.system_tools
	$(PY) -m pytest -m "deployment and not load and not whole_machine" -n 2 --durations=5 $(PYTEST_ARGS)
	SLOBENCH_TEST_CORE_PER_WORKER=1 $(PY) -m pytest -m "deployment and load and not whole_machine" -n 2 --dist loadfile --durations=15 $(PYTEST_ARGS)
	$(PY) -m pytest -m "deployment and whole_machine" --durations=5 $(PYTEST_ARGS)

test-unit: $(MODEL) ## Run the tests that start no process and wait for no clock (under a minute)
	$(PY) -m pytest -m "not integration and not realtime and not coverage" -n 2 $(PYTEST_ARGS)

coverage: $(STAMP) ## The intervals' promise by simulation: 10,000 draws a case from known truths (about 28 minutes on 2 cores)
	$(PY) -m pytest -m coverage -n 2 --dist worksteal --durations=10 $(PYTEST_ARGS)

clean: ## Remove the venv, the model, the state folder (not results/)
	rm -rf $(VENV) models .state *.egg-info

rules: $(STAMP) ## Generate Prometheus SLO recording and burn-rate alerting rules into stack/rules/
	$(PY) -m slo rules $(if $(SLO),--slo $(SLO))
	@if command -v promtool >/dev/null; then cd stack/rules && promtool check rules slo-rules.yml && promtool test rules slo-rules.test.yaml; \
	else echo "promtool not found: the rules were written but not checked"; fi
