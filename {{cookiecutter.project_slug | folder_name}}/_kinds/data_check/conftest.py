{%- set params = cookiecutter | step_parameters -%}
{%- set own = params | rejectattr("builtin") | list -%}
"""The data check's options, inputs and W&B run, as pytest fixtures for test_data.py.

MLproject runs ``pytest -vv test_data.py --csv ... --ref ...``. This file also applies
when the step's own tests run (``pytest tests``), which pass none of these options, so
pytest requires none of them: the fixtures that need one stop the session, on one
line, when it is missing. A bad threshold or input stops it the same way, before the
first check runs, and fails the W&B run, the line kept in its summary.

The session's wiring is step_io.checks: the line on stderr whatever ends the step
unsuccessfully (a bad option or input, a failed check, a signal), the W&B run finished
as failed or not, the table of checks (the `figure` fixture). pytest finds hooks and
fixtures by name, so they are imported here.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import step_io
from step_io import checks
from step_io.checks import (  # noqa: F401 (hooks and fixtures pytest finds by name)
    figure,
    pytest_keyboard_interrupt,
    pytest_runtest_makereport,
    pytest_sessionfinish,
    pytest_unconfigure,
)

if TYPE_CHECKING:
    import pandas as pd
    import wandb

{% include "identity.py.j2" %}
THRESHOLDS = ("kl_threshold", "min_price", "max_price", "min_rows", "max_rows")
# The parameters given to this step when it was generated.
{%- if own %}
OWN_PARAMETERS = [
{%- for p in own %}
    "{{ p.name }}",
{%- endfor %}
]
{%- else %}
OWN_PARAMETERS: list[str] = []
{%- endif %}
# What the checks need of each input, by option; test_data.py checks the exact
# columns of --csv itself.
NEEDED_COLUMNS = {
    "csv": {
        "neighbourhood_group": "text",
        "latitude": "number",
        "longitude": "number",
        "price": "number",
    },
    "ref": {"neighbourhood_group": "text"},
}
STEP_DIR = Path(__file__).resolve().parent


# Each option's type. pytest's parser is not given them: it would refuse a value of
# the wrong type with its usage, over several lines; checks.option says it on one.
OPTION_TYPES = {
{%- for p in params %}
    "{{ p.name }}": {{ p.py_type }},
{%- endfor %}
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("step", STEP_NAME)
    try:
{%- for p in params %}
        group.addoption(
            "--{{ p.name }}",
            default={{ "None" if p.required else p.py_default }},
            help={{ p.help | py_str }},
        )
{%- endfor %}
    except ValueError:
        # Added already by another data check's conftest.py, in a pytest call that
        # runs several steps' own tests.
        return


def pytest_configure(config: pytest.Config) -> None:
    # Short tracebacks when the checks run, not the step's own tests.
    short = config.getoption("csv") is not None
    checks.start_session(config, "test_data.py", short_tracebacks=short)


pytest_ignore_collect = checks.collected_only_when_named(STEP_DIR / "test_data.py")


def check_thresholds(
    kl_threshold: float,
    min_price: float,
    max_price: float,
    min_rows: int,
    max_rows: int,
) -> None:
    """Refuse thresholds no data could meet, before any check runs."""
    # NaN fails every comparison, so `not x > 0` also refuses it.
    if not kl_threshold > 0:
        raise step_io.StepError(
            f"--kl_threshold {kl_threshold}: must be above 0, as a KL divergence "
            "is never below 0"
        )
    for name, value in (("min_price", min_price), ("max_price", max_price)):
        if math.isnan(value):
            raise step_io.StepError(f"--{name} {value}: not a number")
    if min_price > max_price:
        raise step_io.StepError(
            f"--min_price {min_price}: above --max_price {max_price}"
        )
    if min_rows < 0:
        raise step_io.StepError(f"--min_rows {min_rows}: must be 0 or more")
    if min_rows > max_rows:
        raise step_io.StepError(f"--min_rows {min_rows}: above --max_rows {max_rows}")


def read_inputs(run: wandb.Run, references: dict[str, str]) -> dict[str, pd.DataFrame]:
    """Both CSVs by option, each refused on one line (a StepError) if it lacks a
    column the checks need of it."""
    tables = {}
    for option, columns in NEEDED_COLUMNS.items():
        path = step_io.fetch_input(run, option, references[option])
        tables[option] = step_io.read_csv(path, option, columns)
    return tables


@pytest.fixture(scope="session")
def parameters(request: pytest.FixtureRequest) -> dict[str, object]:
    """The parameters given to this step when it was generated, by name."""
    return {
        name: checks.required_option(request.config, name, OPTION_TYPES)
        for name in OWN_PARAMETERS
    }


def threshold_options(config: pytest.Config) -> dict[str, float | int]:
    return {name: checks.option(config, name, OPTION_TYPES) for name in THRESHOLDS}


@pytest.fixture(scope="session")
def thresholds(
    request: pytest.FixtureRequest, run: wandb.Run
) -> dict[str, float | int]:
    """The thresholds, once the run has started and checked them."""
    return threshold_options(request.config)


@pytest.fixture(scope="session")
def kl_threshold(thresholds: dict[str, float | int]) -> float:
    return thresholds["kl_threshold"]


@pytest.fixture(scope="session")
def min_price(thresholds: dict[str, float | int]) -> float:
    return thresholds["min_price"]


@pytest.fixture(scope="session")
def max_price(thresholds: dict[str, float | int]) -> float:
    return thresholds["max_price"]


@pytest.fixture(scope="session")
def min_rows(thresholds: dict[str, float | int]) -> int:
    return thresholds["min_rows"]


@pytest.fixture(scope="session")
def max_rows(thresholds: dict[str, float | int]) -> int:
    return thresholds["max_rows"]


@pytest.fixture(scope="session")
def run(request: pytest.FixtureRequest, parameters: dict[str, object]) -> wandb.Run:
    """The W&B run of the checks, which step_io.checks finishes when the session
    ends."""
    csv = checks.required_option(request.config, "csv", OPTION_TYPES)
    ref = checks.required_option(request.config, "ref", OPTION_TYPES)
    run_name = f"{JOB_TYPE}: {Path(csv).name} vs {Path(ref).name}"
    config = {
        "input": {"csv": csv, "ref": ref},
        "thresholds": threshold_options(request.config),
        "parameters": parameters,
    }
    run = checks.start_run(request.config, JOB_TYPE, run_name, config)
    # Checked inside the run, so that a bad value shows in W&B as a failed run.
    try:
        check_thresholds(**config["thresholds"])
    except step_io.StepError as err:
        checks.fail_run(request.config, run, err)
    return run


@pytest.fixture(scope="session")
def inputs(request: pytest.FixtureRequest, run: wandb.Run) -> dict[str, pd.DataFrame]:
    """Both CSVs by option, read when the first check needs either, so that a bad
    reference stops the step before any check has run."""
    references = {name: request.config.getoption(name) for name in NEEDED_COLUMNS}
    try:
        return read_inputs(run, references)
    except step_io.StepError as err:
        checks.fail_run(request.config, run, err)


@pytest.fixture(scope="session")
def data(inputs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return inputs["csv"]


@pytest.fixture(scope="session")
def ref_data(inputs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return inputs["ref"]
