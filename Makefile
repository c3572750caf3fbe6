# The two commands that matter: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

# `make run` is a local trial: debug on, sandbox on, filesystem broker if no Redis.
RUN_ENV := DEBUG=1 BROKER_FALLBACK=quiet PATH=$(CURDIR)/$(BIN):$$PATH

.PHONY: run test bench tour mutants lint system-deps migrate seed clean

# The venv's own pip installs these pinned wheels; upgrading it first cost every fresh
# clone another download and install before the tests could start.
$(PY):
	$(PYTHON) -m venv $(VENV)

# uv (pinned, from PyPI) installs the pinned wheels in a few seconds where pip took twenty;
# wherever it cannot be had or fails, pip does the same job.
UV_VERSION := 0.13.9
INSTALL = { $(PY) -m pip install --quiet uv==$(UV_VERSION) && $(BIN)/uv pip install --quiet --python $(PY) -r $(1); } \
	|| $(PY) -m pip install --quiet -r $(1)

$(VENV)/.runtime: requirements.txt | $(PY)
	$(call INSTALL,requirements.txt)
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(PY)
	$(call INSTALL,requirements-dev.txt)
	touch $@ $(VENV)/.runtime

migrate: $(VENV)/.runtime
	mkdir -p .run
	$(RUN_ENV) $(PY) manage.py migrate --noinput -v0
	$(RUN_ENV) $(PY) manage.py migrate --database sandbox --noinput -v0

seed: migrate
	$(RUN_ENV) $(PY) manage.py seed_demo
	$(RUN_ENV) $(PY) manage.py sandbox_seed

run: seed
	@$(PY) -m leadterra_ui.broker
	@echo ""
	@echo "  Leadterra Ops:  http://127.0.0.1:8000   (Ctrl-C stops everything)"
	@echo "  Sandbox API:    http://127.0.0.1:8001/sandbox/v1/  key $${SANDBOX_API_KEY:-sk_test_sandbox}"
	@echo ""
	$(RUN_ENV) $(BIN)/honcho start -f Procfile

# Installs what the tests need (as root with apt: redis-server, chromium and its headless shell,
# which most browser tests run on), then runs every tier. Each test session starts its own
# throwaway redis-server on a free port.
system-deps:
	@need=""; \
	command -v redis-server >/dev/null 2>&1 || need="$$need redis-server"; \
	command -v chromium >/dev/null 2>&1 || need="$$need chromium"; \
	command -v chromium-headless-shell >/dev/null 2>&1 || need="$$need chromium-headless-shell"; \
	if [ -n "$$need" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing:$$need"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need fonts-dejavu-core >/dev/null; \
	  else \
	    echo "missing:$$need (tests that need them will skip, or fail with REQUIRE_ALL=1)"; \
	  fi; \
	fi

# Bytecode is cached even where the environment says not to (PYTHONDONTWRITEBYTECODE): uv
# installs without compiling, and otherwise each of the run's processes (xdist workers, the
# Celery workers the tests start) would compile Django and the tests again for itself.
test: $(VENV)/.dev system-deps
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest

bench: $(VENV)/.dev
	$(PY) -m bench

# Redraws the README's tour pictures in docs/tour/ (`make test` draws them into test-artifacts/).
tour: $(VENV)/.dev system-deps
	TOUR=1 $(PY) -m pytest -n0 tests/e2e/test_tour.py tests/e2e/test_wall_scale.py

# Mutation testing of the critical modules (slow; not part of `make test`). MODULES="a.py b.py"
# limits it to some of them; see README "Testing".
mutants: $(VENV)/.dev
	$(PY) -m tests.mutation $(MODULES)

lint: $(VENV)/.dev
	$(BIN)/ruff check .

clean:
	rm -rf .run mutants staticfiles .pytest_cache .test-*.sqlite3*
