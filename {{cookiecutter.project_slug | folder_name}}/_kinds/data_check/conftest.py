{%- set params = cookiecutter | step_parameters -%}
{%- set own = params | rejectattr("builtin") | list -%}
"""The data check's options, inputs and W&B run, as pytest fixtures for test_data.py.

MLproject runs ``pytest -vv test_data.py --csv ... --ref ...``. This file also applies
when the step's own tests run (``pytest tests``), which pass none of these options, so
pytest requires none of them: the fixtures that need one stop the session, on one
line, when it is missing. A bad threshold or input stops it the same way, before the
first check runs, and fails the W&B run, the line kept in its summary.

Whatever ends the step unsuccessfully (a bad option or input, a failed check, a signal)
is said on one line on stderr, the last the step prints there; pytest's own report,
on stdout, still shows which check failed and why.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest
import step_io

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
# What the checks need of --csv; test_data.py checks the exact columns itself.
CHECKED_COLUMNS = {
    "neighbourhood_group": "text",
    "latitude": "number",
    "longitude": "number",
    "price": "number",
}
STEP_DIR = Path(__file__).resolve().parent
RUN = pytest.StashKey["wandb.Run"]()
OUTCOMES = pytest.StashKey[dict[str, str]]()
# What each check measured, by node id: (what, value, what was expected).
FIGURES = pytest.StashKey[dict[str, tuple[str, float, str]]]()
CHECK_COLUMNS = ["check", "outcome", "figure", "value", "expected"]
# Why the session stopped early: a bad option or input.
STOPPED = pytest.StashKey[str]()
FAILED = pytest.StashKey[list[str]]()
SIGNALS = pytest.StashKey[AbstractContextManager]()
# The signal that interrupted the session, as pytest_keyboard_interrupt saw it.
INTERRUPTIONS: list[step_io.Interrupted] = []


# Each option's type. pytest's parser is not given them: it would refuse a value of
# the wrong type with its usage, over several lines; option() says it on one.
OPTION_TYPES = {
{%- for p in params %}
    "{{ p.name }}": {{ p.py_type }},
{%- endfor %}
}
EXPECTED = {int: "a whole number", float: "a number"}


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


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The checks run as the step's command names them, ``pytest test_data.py --csv
    ...``; collected from a folder, as when the step's own tests run, they stay out."""
    if collection_path != STEP_DIR / "test_data.py":
        return None
    invoked = config.invocation_params.dir
    named = {(invoked / arg.split("::")[0]).resolve() for arg in config.args}
    return collection_path not in named


def pytest_configure(config: pytest.Config) -> None:
    config.stash[OUTCOMES] = {}
    config.stash[FIGURES] = {}
    # A failed check is about the data, not the code: a short traceback keeps its
    # message in view, where the long one would print each fixture's DataFrame too.
    if config.getoption("csv") is not None and config.option.tbstyle == "auto":
        config.option.tbstyle = "short"
    # A signal raises step_io.Interrupted, a KeyboardInterrupt, on which pytest stops
    # as on Ctrl-C and still runs pytest_sessionfinish, which fails the W&B run.
    # The process ends with the session: a signal after it is ignored, rather than
    # cutting W&B's own exit short.
    config.stash[SIGNALS] = step_io.stopping_on_signals(restore=False)
    config.stash[SIGNALS].__enter__()


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo) -> None:
    if isinstance(excinfo.value, step_io.Interrupted):
        INTERRUPTIONS.append(excinfo.value)


def why_it_failed(config: pytest.Config) -> str | None:
    """The line that says why the step failed, if it did."""
    if STOPPED in config.stash:
        return config.stash[STOPPED]
    if INTERRUPTIONS:
        return f"interrupted by {INTERRUPTIONS[0]}"
    failed = config.stash.get(FAILED, [])
    if failed:
        names = ", ".join(name.rpartition("::")[2] for name in failed)
        return f"{len(failed)} check(s) failed: {names} (pytest's report says why)"
    return None


def pytest_unconfigure(config: pytest.Config) -> None:
    """Say why the step failed, if it did, on the last line of stderr: after W&B's
    last word (pytest_sessionfinish) and whenever the session stopped."""
    problem = why_it_failed(config)
    if problem is not None:
        print(f"test_data.py: error: {problem}", file=sys.stderr, flush=True)
    config.stash[SIGNALS].__exit__(None, None, None)


def stop(config: pytest.Config, problem: str, returncode: int = 1) -> NoReturn:
    """End the session with one line: no check can run on a bad option or input."""
    config.stash[STOPPED] = problem
    pytest.exit(problem, returncode=returncode)


def fail_run(config: pytest.Config, run: wandb.Run, err: step_io.StepError) -> NoReturn:
    """Stop the session on a bad threshold or input, the line kept in the run's
    summary too; pytest_sessionfinish then finishes the run as failed."""
    run.summary["error"] = str(err)
    stop(config, str(err))


def option(config: pytest.Config, name: str) -> object:
    """The option's value, of its type: a value given on the command line that is
    not of its type stops the session, before any W&B run, as argparse would."""
    value = config.getoption(name)
    to_type = OPTION_TYPES[name]
    if not isinstance(value, str) or to_type is str:
        return value
    try:
        return to_type(value)
    except ValueError:
        problem = f"expected {EXPECTED[to_type]}"
    except argparse.ArgumentTypeError as err:
        problem = str(err)
    stop(config, f"--{name} {value!r}: {problem}", pytest.ExitCode.USAGE_ERROR)


def required_option(config: pytest.Config, name: str) -> object:
    value = option(config, name)
    if value is None:
        stop(
            config,
            f"--{name}: missing; the checks need it (pytest test_data.py --{name} ...)",
            pytest.ExitCode.USAGE_ERROR,
        )
    return value


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


@pytest.fixture(scope="session")
def parameters(request: pytest.FixtureRequest) -> dict[str, object]:
    """The parameters given to this step when it was generated, by name."""
    return {name: required_option(request.config, name) for name in OWN_PARAMETERS}


def threshold_options(config: pytest.Config) -> dict[str, float | int]:
    return {name: option(config, name) for name in THRESHOLDS}


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
    """The W&B run of the checks. pytest_sessionfinish finishes it: only there is it
    known whether every check passed."""
    csv = required_option(request.config, "csv")
    ref = required_option(request.config, "ref")
    run_name = f"{JOB_TYPE}: {Path(csv).name} vs {Path(ref).name}"
    config = {
        "input": {"csv": csv, "ref": ref},
        "thresholds": threshold_options(request.config),
        "parameters": parameters,
    }
    # A signal while W&B starts waits until the run exists, to be finished as failed.
    step_io.hold_signals()
    try:
        run = step_io.start_run(JOB_TYPE, run_name, config)
    except step_io.StepError as err:
        step_io.release_signals()
        stop(request.config, str(err))
    request.config.stash[RUN] = run
    step_io.release_signals()
    # Checked inside the run, so that a bad value shows in W&B as a failed run.
    try:
        check_thresholds(**config["thresholds"])
    except step_io.StepError as err:
        fail_run(request.config, run, err)
    return run


@pytest.fixture(scope="session")
def inputs(request: pytest.FixtureRequest, run: wandb.Run) -> dict[str, pd.DataFrame]:
    """Both CSVs by option, read when the first check needs either, so that a bad
    reference stops the step before any check has run."""
    needed = {"csv": CHECKED_COLUMNS, "ref": {"neighbourhood_group": "text"}}
    tables = {}
    for option, columns in needed.items():
        try:
            path = step_io.fetch_input(run, option, request.config.getoption(option))
            tables[option] = step_io.read_csv(path, option, columns)
        except step_io.StepError as err:
            fail_run(request.config, run, err)
    return tables


@pytest.fixture(scope="session")
def data(inputs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return inputs["csv"]


@pytest.fixture(scope="session")
def ref_data(inputs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return inputs["ref"]


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Callable[[str, float, str], None]:
    """Records what a check measured, and what it expected, for the table of checks
    in W&B. A check records it before it asserts, so a failed check shows it too."""

    def record(what: str, value: float, expected: str) -> None:
        figures = request.config.stash[FIGURES]
        figures[request.node.nodeid] = (what, float(value), expected)

    return record


def check_rows(
    outcomes: dict[str, str], figures: dict[str, tuple[str, float, str]]
) -> list[list]:
    """One row per check that ran, in the order they ran (CHECK_COLUMNS); a check
    that recorded no figure has none."""
    return [
        [node_id.rpartition("::")[2], outcome, *figures.get(node_id, ("", None, ""))]
        for node_id, outcome in outcomes.items()
    ]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # A check fails if its setup, call or teardown fails, and passes only by its call.
    report = yield
    outcomes = item.config.stash[OUTCOMES]
    if report.failed:
        outcomes[item.nodeid] = "failed"
    elif report.when == "call" and report.passed:
        outcomes.setdefault(item.nodeid, "passed")
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    outcomes = config.stash[OUTCOMES]
    failed = sorted(name for name, outcome in outcomes.items() if outcome == "failed")
    passed = len(outcomes) - len(failed)
    config.stash[FAILED] = failed
    if INTERRUPTIONS:  # as a step run by run.py would exit
        session.exitstatus = 128 + INTERRUPTIONS[0].signum
    run = config.stash.get(RUN, None)
    if run is None:
        step_io.hold_signals()
        return
    logged = {"checks_passed": passed, "checks_failed": len(failed)}
    rows = check_rows(outcomes, config.stash[FIGURES])
    if rows:
        import wandb  # imported already: the run has started

        logged["checks"] = wandb.Table(columns=CHECK_COLUMNS, data=rows)
    run.log(logged)
    run.summary["failed_checks"] = failed
    problem = why_it_failed(config)
    if problem is not None:
        run.summary["error"] = problem
    run.finish(exit_code=0 if exitstatus == pytest.ExitCode.OK else 1)
    # What is left is to say how it went: a signal now would only cut that short.
    step_io.hold_signals()
