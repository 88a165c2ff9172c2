"""step_io.checks: a session of checks, run as a data check's MLproject runs it
(``pytest -vv test_data.py --name ...``), in a process of its own, on a small step
whose conftest.py imports the wiring by name as a data check's does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from step_io import checks

# A step of checks: its options and its W&B run are its own; the rest is imported.
CONFTEST = """
from pathlib import Path

import pytest
import step_io
from step_io import checks
from step_io.checks import (  # noqa: F401
    figure,
    pytest_keyboard_interrupt,
    pytest_runtest_makereport,
    pytest_sessionfinish,
    pytest_unconfigure,
)

OPTION_TYPES = {"name": str, "size": int, "limit": float, "loud": step_io.parse_bool}


def pytest_addoption(parser):
    group = parser.getgroup("step", "A check")
    try:
        group.addoption("--name", default=None)
        group.addoption("--size", default=4)
        group.addoption("--limit", default=0.5)
        group.addoption("--loud", default=False)
    except ValueError:  # added by another step's conftest.py
        return


def pytest_configure(config):
    short = config.getoption("name") is not None
    checks.start_session(config, "test_data.py", short_tracebacks=short)


pytest_ignore_collect = checks.collected_only_when_named(
    Path(__file__).resolve().parent / "test_data.py"
)


@pytest.fixture(scope="session")
def settings(request):
    return {
        name: checks.option(request.config, name, OPTION_TYPES)
        for name in ("size", "limit", "loud")
    }


@pytest.fixture(scope="session")
def run(request, settings):
    config = request.config
    name = checks.required_option(config, "name", OPTION_TYPES)
    run = checks.start_run(config, "check", f"check: {name}", settings)
    if settings["size"] < 0:
        problem = f"--size {settings['size']}: must be 0 or more"
        checks.fail_run(config, run, step_io.StepError(problem))
    return run


@pytest.fixture(scope="session")
def size(settings, run):
    return settings["size"]
"""

CHECKS = """
import os
import signal
import time


def test_size(size, figure):
    figure("size", size, "below 5")
    assert size < 5, f"size {size}, not below 5"


def test_even(size, figure):
    figure("size mod 2", size % 2, "0")
    assert size % 2 == 0, f"size {size} is odd"


def test_without_figure(run):
    if os.environ.get("SIGNAL_IN_CHECK"):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)
"""
ALL_CHECKS = ["test_size", "test_even", "test_without_figure"]

# pytest, as ``python -m pytest`` runs it, with each W&B run the step starts wrapped
# in a RecordedRun (step_io.testing); what they recorded goes to the JSON file named
# by the first argument. Offline, W&B keeps a run's exit code and summary only in its
# binary log.
RECORDING_PYTEST = """
import json, sys
import pytest
import step_io
from step_io.testing import RecordedRun

runs = []
start_run = step_io.start_run

def recording_start_run(job_type, name, config):
    runs.append(RecordedRun(start_run(job_type, name, config), job_type, name, config))
    return runs[-1]

def as_json(value):
    return {"columns": value.columns, "data": value.data}

step_io.start_run = recording_start_run
exit_code = pytest.main(sys.argv[2:])
recorded = [
    {
        "name": run.name,
        "config": dict(run.config),
        "summary": dict(run.summary),
        "history": run.history,
        "exit_code": run.exit_code,
    }
    for run in runs
]
with open(sys.argv[1], "w", encoding="utf-8") as file:
    json.dump(recorded, file, default=as_json)
sys.exit(exit_code)
"""


def make_step(folder: Path, own_test: str | None = None) -> Path:
    folder.mkdir()
    (folder / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (folder / "test_data.py").write_text(CHECKS, encoding="utf-8")
    if own_test is not None:
        (folder / "tests").mkdir()
        (folder / "tests" / f"test_{folder.name}.py").write_text(
            textwrap.dedent(own_test), encoding="utf-8"
        )
    return folder


@pytest.fixture
def step(offline_wandb) -> Path:
    return make_step(offline_wandb / "step")


def check(
    step: Path, *options: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """``pytest -vv test_data.py OPTIONS`` in the step's folder, and what each W&B
    run it started recorded."""
    recorded = step.parent / "recorded_runs.json"
    command = [sys.executable, "-c", RECORDING_PYTEST, str(recorded)]
    command += ["-vv", "-p", "no:cacheprovider", "test_data.py", *options]
    result = pytest_in(step, command, env)
    assert recorded.exists(), result.stderr[-3000:]
    return result, json.loads(recorded.read_text(encoding="utf-8"))


def pytest_in(
    folder: Path, command: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        check=False,
        cwd=folder,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def the_line(result: subprocess.CompletedProcess) -> str:
    """The last line on stderr, where the step says why it failed."""
    lines = result.stderr.splitlines()
    return lines[-1] if lines else ""


def assert_stopped_on_one_line(result: subprocess.CompletedProcess, problem: str):
    """The session stopped before any check ran, saying why on one line."""
    output = result.stdout + result.stderr
    assert the_line(result) == f"test_data.py: error: {problem}", output[-3000:]
    assert "Traceback" not in output
    assert " PASSED" not in result.stdout
    assert " FAILED" not in result.stdout


def logged(recorded: dict) -> dict:
    """What the session logged to the run when it ended."""
    (last,) = [row for row in recorded["history"] if "checks_passed" in row]
    return last


def test_importing_it_loads_neither_pandas_nor_wandb():
    code = (
        "import sys, step_io.checks; "
        "print('pandas' in sys.modules, 'wandb' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_checks_that_pass_finish_the_run_as_passed_with_a_row_each(step):
    result, (recorded,) = check(step, "--name", "good")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "error" not in result.stderr
    for name in ALL_CHECKS:
        assert f"test_data.py::{name} PASSED" in result.stdout
    assert recorded["name"] == "check: good"
    assert recorded["config"] == {"size": 4, "limit": 0.5, "loud": False}
    assert recorded["exit_code"] == 0
    assert recorded["summary"] == {"failed_checks": []}
    table = logged(recorded)
    assert (table["checks_passed"], table["checks_failed"]) == (3, 0)
    # The table of checks: a row per check, in the order they ran, with what each
    # measured; a check that recorded nothing has no figure.
    assert table["checks"]["columns"] == checks.CHECK_COLUMNS
    assert table["checks"]["data"] == [
        ["test_size", "passed", "size", 4.0, "below 5"],
        ["test_even", "passed", "size mod 2", 0.0, "0"],
        ["test_without_figure", "passed", "", None, ""],
    ]


def test_failed_checks_fail_the_run_with_one_line_naming_them(step):
    result, (recorded,) = check(step, "--name", "odd", "--size", "5")
    assert result.returncode == 1
    line = "2 check(s) failed: test_even, test_size (pytest's report says why)"
    assert the_line(result) == f"test_data.py: error: {line}"
    assert "Traceback" not in result.stderr
    # pytest's report says why, its tracebacks short: the failing line, not the check.
    assert "FAILED test_data.py::test_size - AssertionError: size 5, not below 5" in (
        result.stdout
    )
    assert 'figure("size", size, "below 5")' not in result.stdout
    assert recorded["exit_code"] == 1
    assert recorded["summary"] == {
        "failed_checks": ["test_data.py::test_even", "test_data.py::test_size"],
        "error": line,
    }
    table = logged(recorded)
    assert (table["checks_passed"], table["checks_failed"]) == (1, 2)
    # A failed check shows the figure it recorded before it failed.
    assert table["checks"]["data"] == [
        ["test_size", "failed", "size", 5.0, "below 5"],
        ["test_even", "failed", "size mod 2", 1.0, "0"],
        ["test_without_figure", "passed", "", None, ""],
    ]


def test_a_missing_option_stops_the_session_on_one_line_before_any_run(step):
    result, recorded = check(step)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    problem = "--name: missing; the checks need it (pytest test_data.py --name ...)"
    assert_stopped_on_one_line(result, problem)
    assert recorded == []
    assert not list(step.parent.glob("wandb_dir/wandb/offline-run-*"))


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("size", "many", "--size 'many': expected a whole number"),
        ("limit", "low", "--limit 'low': expected a number"),
        ("loud", "maybe", "--loud 'maybe': expected true or false, got 'maybe'"),
    ],
)
def test_a_mistyped_option_stops_the_session_on_one_line_before_any_run(
    step, option, value, problem
):
    result, recorded = check(step, "--name", "x", f"--{option}", value)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert_stopped_on_one_line(result, problem)
    assert recorded == []


def test_a_bad_value_inside_the_run_stops_the_session_and_fails_the_run(step):
    result, (recorded,) = check(step, "--name", "x", "--size", "-1")
    assert result.returncode == 1
    assert_stopped_on_one_line(result, "--size -1: must be 0 or more")
    assert recorded["exit_code"] == 1
    assert recorded["summary"]["error"] == "--size -1: must be 0 or more"
    assert logged(recorded) == {"checks_passed": 0, "checks_failed": 0}


def test_a_run_w_and_b_cannot_start_stops_the_session_on_one_line(step):
    result, recorded = check(step, "--name", "x", env={"WANDB_MODE": "bogus"})
    assert result.returncode == 1
    problem = the_line(result).partition("test_data.py: error: ")[2]
    assert problem.startswith("W&B cannot start the run: ")
    assert "bogus" in problem
    assert_stopped_on_one_line(result, problem)
    assert recorded == []


def test_a_signal_stops_the_session_and_fails_the_run(step):
    result, (recorded,) = check(step, "--name", "x", env={"SIGNAL_IN_CHECK": "1"})
    assert result.returncode == 128 + signal.SIGTERM  # as a run.py step exits
    assert "Traceback" not in result.stdout + result.stderr
    assert the_line(result) == "test_data.py: error: interrupted by SIGTERM"
    assert recorded["exit_code"] == 1
    assert recorded["summary"]["error"] == "interrupted by SIGTERM"
    # The checks that ran before it are in the table.
    assert [row[:2] for row in logged(recorded)["checks"]["data"]] == [
        ["test_size", "passed"],
        ["test_even", "passed"],
    ]


def test_several_steps_own_tests_in_one_call_say_one_line_and_start_no_run(
    offline_wandb,
):
    # As `pytest components/*` runs the steps' own tests: each conftest.py imports
    # the same hooks; the checks stay out, and the step fails on one line.
    failing = """
        def test_{name}_fails():
            assert False

        def test_{name}_passes():
            pass
    """
    for name in ("one", "two"):
        make_step(offline_wandb / name, own_test=failing.format(name=name))
    command = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider"]
    result = pytest_in(offline_wandb, [*command, "one", "two"])
    assert result.returncode == 1, result.stdout[-3000:]
    assert "test_data.py" not in result.stdout  # collected only when named
    assert result.stdout.count(" PASSED") == 2
    assert result.stderr.splitlines() == [
        "test_data.py: error: 2 check(s) failed: test_one_fails, test_two_fails "
        "(pytest's report says why)"
    ]
    assert not list(offline_wandb.glob("wandb_dir/wandb/offline-run-*"))


def test_a_row_per_check_that_ran_in_order_figures_or_not():
    outcomes = {"test_data.py::test_b": "failed", "test_data.py::test_a": "passed"}
    figures = {"test_data.py::test_a": ("rows", 8.0, "1 to 10")}
    assert checks.check_rows(outcomes, figures) == [
        ["test_b", "failed", "", None, ""],
        ["test_a", "passed", "rows", 8.0, "1 to 10"],
    ]
