# The two commands of the README: `make test` and `make demo`. Each works from a clean clone:
# it creates .venv, installs the project with what it needs, and makes sure Graphviz's `dot` is
# there (installing it with the system package manager when run as root).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: test demo bench lint graphviz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,demo,bench]'
	touch $(STAMP)

graphviz:
	@if command -v dot >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Graphviz (apt-get install graphviz)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	else \
		echo "Graphviz's 'dot' is missing. Install it with: sudo apt-get install graphviz  (macOS: brew install graphviz)"; \
		exit 1; \
	fi

lint: $(STAMP)
	$(PY) -m ruff check .

test: $(STAMP) graphviz lint
	AUTOGRAD_REQUIRE_TORCH=1 $(PY) -m pytest -q

# Without Graphviz the demos still run; the ones that draw graphs report what is missing.
demo: $(STAMP)
	-@$(MAKE) --no-print-directory graphviz
	$(PY) -m demos

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
