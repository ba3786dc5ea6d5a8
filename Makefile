# Every target sets itself up on a fresh machine that has only Python 3.11:
# it creates .venv, installs the project (not editable: what users get) and runs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEPS   := $(VENV)/.deps-installed
DEMO   := demo-out
EXAMPLE := examples/iiiepe/inventory.yml

.PHONY: help install test lint typecheck demo bench mutate dist clean

help:
	@echo "make demo   - validate, graph, render and sync the bundled example into $(DEMO)/"
	@echo "make test   - lint, typecheck, then run the test suite"
	@echo "make lint   - ruff over the package, tests, tools, benchmarks and examples (pyproject.toml [tool.ruff])"
	@echo "make typecheck - mypy --strict over the package and tools/mutate.py (pyproject.toml [tool.mypy])"
	@echo "make dist   - build dist/jenkins_docker-<version>-py3-none-any.whl, to install from a source you control"
	@echo "make bench  - compare with Jenkins Job Builder (slow; writes docs/benchmarks.md)"
	@echo "make mutate - mutation testing of plan/sync/xmlcompare/ownership (slow, minutes; writes docs/mutation.md)"
	@echo "              one module: make mutate MUTATE=jenkins_docker/sync/plan.py"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(DEPS): setup.cfg setup.py pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q '.[test]'
	touch $@

# Reinstall the package itself on every run (fast, no dependencies) so the installed command
# always matches the source tree.
install: $(DEPS)
	$(BIN)/python -m pip install -q --no-deps --force-reinstall .

# The checks read the source tree, so they need the tools but not the reinstalled package.
lint: $(DEPS)
	$(BIN)/python -m ruff check .

typecheck: $(DEPS)
	$(BIN)/python -m mypy

test: install lint typecheck
	$(BIN)/python -m pytest -q -p no:cacheprovider

demo: install
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	@echo "== validate: check the inventory, offline"
	$(BIN)/jenkins-docker validate $(EXAMPLE)
	@echo; echo "== graph: what is built FROM what"
	$(BIN)/jenkins-docker graph $(EXAMPLE)
	@echo; echo "== impact: the weekly rebuild of iiiepe/nginx rebuilds, in waves"
	$(BIN)/jenkins-docker impact $(EXAMPLE) iiiepe/nginx
	@echo; echo "== render: every job's config.xml"
	$(BIN)/jenkins-docker render $(EXAMPLE) -o $(DEMO)/rendered
	@find $(DEMO)/rendered -name config.xml | sort | head -20
	@echo; echo "== sync into a local JENKINS_HOME ($(DEMO)/jenkins-home)"
	$(BIN)/jenkins-docker sync $(EXAMPLE) --jenkins-home $(DEMO)/jenkins-home
	@echo; echo "== sync again: nothing to do"
	$(BIN)/jenkins-docker sync $(EXAMPLE) --jenkins-home $(DEMO)/jenkins-home
	@echo; echo "== plan a small change: the website app moves to the Drupal 7 base image"
	@mkdir -p $(DEMO)/changed && cp -r examples/iiiepe/. $(DEMO)/changed/
	@sed -i 's|from: iiiepe/nginx-drupal6|from: iiiepe/nginx-drupal7|' $(DEMO)/changed/inventory.yml
	$(BIN)/jenkins-docker plan $(DEMO)/changed/inventory.yml --jenkins-home $(DEMO)/jenkins-home --detailed-exitcode || test $$? -eq 2
	@echo; echo "Rendered jobs: $(DEMO)/rendered/jobs   JENKINS_HOME: $(DEMO)/jenkins-home"

# A wheel to install jenkins-docker from a place you control (it is not on PyPI): your own index,
# an artifact store, or a file the CI can reach. `pip install dist/jenkins_docker-*.whl`.
dist: $(BIN)/python
	rm -rf dist
	$(BIN)/python -m pip wheel -q --no-deps -w dist .
	@ls dist/*.whl

bench: install
	$(BIN)/python -m pip install -q -r bench/requirements.txt
	$(BIN)/python bench/run.py

# Mutation testing (tools/mutate.py): not part of `make test`, it runs the tests hundreds of times.
MUTATE ?=
mutate: install
	nice -n 10 $(BIN)/python tools/mutate.py --workers 2 $(MUTATE)

clean:
	rm -rf $(VENV) $(DEMO) build dist *.egg-info
