# The commands README names. Everything installs what it needs on first use.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
UV := .tools/bin/uv
APP_PY := .venv/bin/python
RASA := .venv-rasa/bin/rasa
RASA_ENV := RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1 PYTHONWARNINGS=ignore

.PHONY: help setup run test test-unit test-rasa test-e2e train bench eval-privacy lint format clean

help:
	@echo "make run    start backend, action server and Rasa on the embedded defaults"
	@echo "make test   run every test suite (sets up what it needs)"
	@echo "make setup  build both environments; make train; make bench; make eval-privacy; make lint"

$(UV):
	@py=$$(scripts/find_python.sh 3.11+); "$$py" -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# App environment (Python >= 3.11): crm_backend + actions, from the hashed lock file.
.venv/.installed: requirements.lock pyproject.toml | $(UV)
	@py=$$(scripts/find_python.sh 3.11+); [ -x $(APP_PY) ] || $(UV) venv --quiet --python "$$py" .venv
	$(UV) pip sync --quiet --python $(APP_PY) --require-hashes requirements.lock
	$(UV) pip install --quiet --python $(APP_PY) --no-deps -e .
	@touch $@

# Rasa environment (Python 3.10, rasa==3.6.21), from its own hashed lock file.
.venv-rasa/.installed: bot/requirements.lock | $(UV)
	@py=$$(scripts/find_python.sh 3.10); [ -x .venv-rasa/bin/python ] || $(UV) venv --quiet --python "$$py" .venv-rasa
	$(UV) pip sync --quiet --python .venv-rasa/bin/python --require-hashes bot/requirements.lock
	@touch $@

# Front-end dependency of /chat and /staff (socket.io-client 4.x: Socket.IO protocol 5, what
# Rasa 3.6's python-socketio 5.x speaks), from the npm lock file into the static folder.
WEB := crm_backend/web
WEB_VENDOR := $(WEB)/vendor/socket.io.esm.min.js
$(WEB_VENDOR): $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(WEB)/vendor
	cp $(WEB)/node_modules/socket.io-client/dist/socket.io.esm.min.js $@

setup: .venv/.installed .venv-rasa/.installed $(WEB_VENDOR)

# Regenerate the lock files after changing pyproject.toml or bot/requirements.in.
lock: | $(UV)
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 --python-platform x86_64-unknown-linux-gnu --generate-hashes -o requirements.lock
	$(UV) pip compile bot/requirements.in --python-version 3.10 --python-platform x86_64-unknown-linux-gnu --generate-hashes -o bot/requirements.lock

train: setup
	bash bot/train_if_changed.sh

run: setup train
	.venv/bin/crm run --no-train

test: setup train
	$(MAKE) --no-print-directory test-unit test-rasa test-e2e

test-unit:
	scripts/pytest.sh -m "not e2e"

test-rasa:
	$(RASA_ENV) $(RASA) data validate --data data --domain domain.yml --config config.yml
	$(RASA_ENV) $(RASA) test core --stories tests/stories --model models/crm.tar.gz \
	  --fail-on-prediction-errors --out var/rasa-results

test-e2e: $(WEB_VENDOR)
	scripts/ensure_chromium.sh
	scripts/pytest.sh -m e2e tests/e2e

bench: setup train
	$(APP_PY) bench/complaint_conversation.py
	$(APP_PY) bench/complaint_workflows.py
	$(APP_PY) bench/reports.py
	$(APP_PY) bench/scrubber.py

# The scrubber on the labelled corpus: per-type precision, recall, F2; exits 1 below a goal.
eval-privacy: setup
	$(APP_PY) -m crm_backend.privacy.evaluation

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

format: setup
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

clean:
	rm -rf .venv .venv-rasa .tools models var/log var/rasa-results
