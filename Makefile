# The two commands a newcomer needs: `make demo` and `make test`. Each creates .venv and
# installs what it needs, so they work on a fresh machine with only Python 3.10+.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEMO_STAMP := $(VENV)/.installed-demo
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test bench lint clean chromium

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(DEMO_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[datasets,plot,progress]'
	touch $@

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[dev]'
	touch $@ $(DEMO_STAMP)

## demo: train the MNIST-5k CNN with `glassbox train` (progress bar), then `glassbox report`:
## ends with the test accuracy and the path of the HTML report
demo: $(DEMO_STAMP)
	$(VENV)/bin/glassbox train --model cnn --data mnist5k --epochs 5 --batch-size 64 --out runs/mnist5k-cnn
	$(VENV)/bin/glassbox report runs/mnist5k-cnn

## test: the whole test suite (gradchecks, torch parity, engine, end-to-end)
test: $(DEV_STAMP) chromium
	$(PY) -m pytest -n 2 --dist loadfile

# headless Chromium renders the HTML report in tests/report (Debian's package, installed as root)
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
	  || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; } \
	  || echo "chromium could not be installed: tests/report will skip the screenshot test"; }

## bench: glassbox vs PyTorch on the WORKLOADS benchmarks (ratios printed, JSON written)
bench: $(DEV_STAMP)
	$(PY) benchmarks/run.py

lint: $(DEV_STAMP)
	$(PY) -m ruff check glassbox tests benchmarks examples

clean:
	rm -rf $(VENV) .pytest_cache
