# The two commands of the README: `make test` and `make demo`. Each works from a clean clone:
# it creates .venv, installs the project with what it needs, and makes sure Graphviz's `dot` is
# there (installing it with the system package manager when run as root).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: test test-fast demo bench lint graphviz chromium clean
.PRECIOUS: $(VENV)/.stamp-%

# One environment, upgraded in place: each command installs only the extra it needs (a stamp
# per extra), so `make demo` does not wait for the test stack and `make test` after it adds it.
$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.stamp-%: pyproject.toml | $(PY)
	$(PIP) -e '.[$*]'
	touch $@

graphviz:
	@if command -v dot >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Graphviz (apt-get install graphviz)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	else \
		echo "Graphviz's 'dot' is missing. Install it with: sudo apt-get install graphviz  (macOS: brew install graphviz)"; \
		exit 1; \
	fi

# The explorer's browser tests drive Debian's chromium (playwright cannot download its own).
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Chromium (apt-get install chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "Chromium is missing (the browser tests need it). Install it with: sudo apt-get install chromium"; \
		exit 1; \
	fi

lint: $(VENV)/.stamp-test
	$(PY) -m ruff check .
	$(PY) -m mypy

test: $(VENV)/.stamp-test graphviz chromium lint
	AUTOGRAD_REQUIRE_TORCH=1 AUTOGRAD_REQUIRE_BROWSER=1 $(PY) -m pytest -q

# Everything but the tests marked slow (learning runs, benchmark smoke runs): for iterating.
test-fast: $(VENV)/.stamp-test
	$(PY) -m pytest -q -m "not slow"

# Without Graphviz the demos still run; the ones that draw graphs report what is missing.
# The `distributed` extra (PyTorch, CPU) lets the 2-worker demo run and the report show it.
demo: $(VENV)/.stamp-demo $(VENV)/.stamp-distributed
	-@$(MAKE) --no-print-directory graphviz
	$(PY) -m demos

bench: $(VENV)/.stamp-bench
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
