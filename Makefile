# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
INSTALLED := $(VENV)/.installed
DEMO := $(CURDIR)/demo
SAMPLE := $(CURDIR)/data/sample_listings.csv

.PHONY: venv constraints demo test test-project test-thorough test-exhaustive bench lint clean

# The virtual environment, rebuilt whenever the pins change.
# step_io, the wiring every generated step installs, is installed from this checkout
# (editable): the suite runs the steps against the package as it is here.
$(INSTALLED): requirements.txt constraints.txt packages/step_io/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e packages/step_io
	touch $@

venv: $(INSTALLED)

# After a bump in requirements.txt: pin what the direct pins now pull in.
constraints: $(INSTALLED)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python scripts/freeze_constraints.py > constraints.txt

$(SAMPLE): scripts/make_sample_data.py $(INSTALLED)
	$(BIN)/python scripts/make_sample_data.py --rows 1000 --out $@

# Render a step with the default answers and run it through `mlflow run`, offline;
# then render a whole pipeline project and run its chain, offline, with its `make run`
# (this .venv standing in for the project's own).
demo: $(INSTALLED) $(SAMPLE)
	rm -rf $(DEMO)
	$(BIN)/cookiecutter --no-input --output-dir $(DEMO) .
	cd $(DEMO)/basic_cleaning && \
	  PATH="$(BIN):$$PATH" WANDB_MODE=offline \
	  MLFLOW_TRACKING_URI="sqlite:///$(DEMO)/mlflow.db" \
	  $(BIN)/mlflow run . --env-manager local -P input_artifact=$(SAMPLE)
	@echo
	@echo "Step rendered in:  demo/basic_cleaning"
	@echo "Output file:       demo/basic_cleaning/outputs/clean_sample.csv"
	@echo "W&B offline run:   $$(ls -d demo/basic_cleaning/wandb/offline-run-* | tail -n 1)"
	@echo "MLflow runs:       sqlite:///$(DEMO)/mlflow.db"
	@echo
	@echo "Now a pipeline project (--directory pipeline), its whole chain run offline."
	$(BIN)/cookiecutter --no-input --output-dir $(DEMO) . --directory pipeline
	$(MAKE) -C $(DEMO)/nyc_airbnb_pipeline run BIN=$(BIN)
	@echo
	@echo "Pipeline project:  demo/nyc_airbnb_pipeline (its README: make run, make test)"

# Every kind x environment x Python version, rendered and checked (54 renders).
test-exhaustive: $(INSTALLED)
	$(BIN)/python -m pytest tests/test_render.py -m exhaustive

# What a generated step costs against plain code; writes docs/benchmarks.md.
# BENCH_OPTIONS=--strict fails when a target is missed.
BENCH_OPTIONS ?=
bench: $(INSTALLED)
	PATH="$(BIN):$$PATH" $(BIN)/python bench/bench.py --pipeline --envs \
	  --out docs/benchmarks.md $(BENCH_OPTIONS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# On every core (pytest-xdist): most tests wait on a step's own processes. The runs of
# one pipeline project share a group, so that one worker runs them in order.
test: lint
	cd packages/step_io && $(BIN)/python -m pytest -q
	$(BIN)/python -m pytest -n auto --dist loadgroup

# Every step's own tests again, in one pytest call: every kind from a parent folder,
# and a generated pipeline project's own `make test`. Minutes on their own, so apart
# from `make test`; .ci/run runs both.
test-project: $(INSTALLED)
	$(BIN)/python -m pytest -n auto -m project

# The property test with 500 fresh examples instead of the bounded, repeatable 25.
test-thorough: $(INSTALLED)
	$(BIN)/python -m pytest tests/test_hostile_answers.py --hypothesis-profile=thorough

clean:
	rm -rf $(VENV) $(DEMO) data .pytest_cache .ruff_cache
