"""The wiring of a step whose MLflow command is pytest: a session of checks.

A data check runs ``pytest -vv test_data.py --csv ... --ref ...``. Its conftest.py
keeps its own options, inputs and thresholds, and takes the rest from here by
importing the hooks and fixtures by name (pytest finds them by name; it refuses
``pytest_plugins`` in a conftest.py that is not at the root, and several steps' tests
may run in one pytest call)::

    from step_io import checks
    from step_io.checks import (  # noqa: F401 (pytest finds them by name)
        figure,
        pytest_keyboard_interrupt,
        pytest_runtest_makereport,
        pytest_sessionfinish,
        pytest_unconfigure,
    )

    OPTION_TYPES = {"csv": str, "min_rows": int}

    def pytest_configure(config):
        checks.start_session(config, "test_data.py", short_tracebacks=...)

    pytest_ignore_collect = checks.collected_only_when_named(STEP_DIR / "test_data.py")

    @pytest.fixture(scope="session")
    def run(request):
        csv = checks.required_option(request.config, "csv", OPTION_TYPES)
        return checks.start_run(request.config, JOB_TYPE, csv, {"csv": csv})

A bad option or input stops the session on one line before the first check runs
(``option``, ``required_option``, ``stop``, ``fail_run``). Whatever ends the step
unsuccessfully (a bad option or input, a failed check, a signal) is said on one line
on stderr, ``test_data.py: error: ...``, the last the step prints there; pytest's own
report, on stdout, still shows which check failed and why. The W&B run is finished
when the session ends, as failed unless every check passed, the line kept in its
summary, with the table of checks: each check, its outcome, and what it measured
(the ``figure`` fixture).

Importing this module loads neither pandas nor wandb.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Generator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

import step_io

if TYPE_CHECKING:
    import wandb

# The table of checks logged to W&B: a row per check that ran, in the order they ran.
CHECK_COLUMNS = ["check", "outcome", "figure", "value", "expected"]
# What a value of the wrong type should have been, in the line that refuses it.
EXPECTED = {int: "a whole number", float: "a number"}


@dataclass
class CheckSession:
    """What a session of checks keeps, in its config's stash."""

    # The checks' file, as the step's command names it; its error line starts so.
    prog: str
    signals: AbstractContextManager
    # Each check's outcome, by node id, in the order they ran.
    outcomes: dict[str, str] = field(default_factory=dict)
    # What each check measured, by node id: (what, value, what was expected).
    figures: dict[str, tuple[str, float, str]] = field(default_factory=dict)
    run: wandb.Run | None = None
    # Why the session stopped early: a bad option or input.
    stopped: str | None = None
    failed: list[str] = field(default_factory=list)
    finished: bool = False


SESSION = pytest.StashKey[CheckSession]()
# The signal that interrupted the session, as pytest_keyboard_interrupt saw it (that
# hook is not given the config).
INTERRUPTIONS: list[step_io.Interrupted] = []


def start_session(
    config: pytest.Config, prog: str, short_tracebacks: bool = False
) -> None:
    """Begin a session of checks, from the step's pytest_configure: ``prog`` is the
    checks' file, which starts the line the step fails on; ``short_tracebacks`` is
    for a run of the checks themselves, not of the step's own tests. A second call,
    from another step's conftest.py in the same pytest call, does nothing."""
    if SESSION in config.stash:
        return
    # A failed check is about the data, not the code: a short traceback keeps its
    # message in view, where the long one would print each fixture's DataFrame too.
    if short_tracebacks and config.option.tbstyle == "auto":
        config.option.tbstyle = "short"
    # A signal raises step_io.Interrupted, a KeyboardInterrupt, on which pytest stops
    # as on Ctrl-C and still runs pytest_sessionfinish, which fails the W&B run.
    # The process ends with the session: a signal after it is ignored, rather than
    # cutting W&B's own exit short.
    signals = step_io.stopping_on_signals(restore=False)
    signals.__enter__()
    INTERRUPTIONS.clear()
    config.stash[SESSION] = CheckSession(prog, signals)


def collected_only_when_named(checks_file: Path) -> Callable[..., bool | None]:
    """The step's pytest_ignore_collect: the checks run as the step's command names
    them, ``pytest test_data.py --csv ...``; collected from a folder, as when the
    step's own tests run, they stay out."""

    def pytest_ignore_collect(
        collection_path: Path, config: pytest.Config
    ) -> bool | None:
        if collection_path != checks_file:
            return None
        invoked = config.invocation_params.dir
        named = {(invoked / arg.split("::")[0]).resolve() for arg in config.args}
        return collection_path not in named

    return pytest_ignore_collect


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo) -> None:
    if isinstance(excinfo.value, step_io.Interrupted):
        INTERRUPTIONS.append(excinfo.value)


def why_it_failed(session: CheckSession) -> str | None:
    """The line that says why the step failed, if it did."""
    if session.stopped is not None:
        return session.stopped
    if INTERRUPTIONS:
        return f"interrupted by {INTERRUPTIONS[0]}"
    failed = session.failed
    if failed:
        names = ", ".join(name.rpartition("::")[2] for name in failed)
        return f"{len(failed)} check(s) failed: {names} (pytest's report says why)"
    return None


def pytest_unconfigure(config: pytest.Config) -> None:
    """Say why the step failed, if it did, on the last line of stderr: after W&B's
    last word (pytest_sessionfinish) and whenever the session stopped."""
    session = config.stash.get(SESSION, None)
    if session is None:  # said already, for another step's conftest.py
        return
    del config.stash[SESSION]
    problem = why_it_failed(session)
    if problem is not None:
        print(f"{session.prog}: error: {problem}", file=sys.stderr, flush=True)
    session.signals.__exit__(None, None, None)


def stop(config: pytest.Config, problem: str, returncode: int = 1) -> NoReturn:
    """End the session with one line: no check can run on a bad option or input."""
    config.stash[SESSION].stopped = problem
    pytest.exit(problem, returncode=returncode)


def fail_run(config: pytest.Config, run: wandb.Run, err: step_io.StepError) -> NoReturn:
    """Stop the session on a bad option or input, the line kept in the run's summary
    too; pytest_sessionfinish then finishes the run as failed."""
    run.summary["error"] = str(err)
    stop(config, str(err))


def option(
    config: pytest.Config, name: str, types: Mapping[str, Callable[[str], object]]
) -> object:
    """The option's value, of its type in ``types`` (pytest's parser is not given
    them: it would refuse a value of the wrong type with its usage, over several
    lines). A value given on the command line that is not of its type stops the
    session, on one line, before any W&B run, as argparse would."""
    value = config.getoption(name)
    to_type = types[name]
    if not isinstance(value, str) or to_type is str:
        return value
    try:
        return to_type(value)
    except ValueError:
        problem = f"expected {EXPECTED.get(to_type, 'a value of its type')}"
    except argparse.ArgumentTypeError as err:
        problem = str(err)
    stop(config, f"--{name} {value!r}: {problem}", pytest.ExitCode.USAGE_ERROR)


def required_option(
    config: pytest.Config, name: str, types: Mapping[str, Callable[[str], object]]
) -> object:
    """``option``; missing, it stops the session on one line, a usage error."""
    value = option(config, name, types)
    if value is None:
        prog = config.stash[SESSION].prog
        stop(
            config,
            f"--{name}: missing; the checks need it (pytest {prog} --{name} ...)",
            pytest.ExitCode.USAGE_ERROR,
        )
    return value


def start_run(
    config: pytest.Config, job_type: str, name: str, run_config: dict
) -> wandb.Run:
    """The W&B run of the checks (step_io.start_run); one W&B cannot start stops the
    session on one line. pytest_sessionfinish finishes it: only there is it known
    whether every check passed."""
    # A signal while W&B starts waits until the run exists, to be finished as failed.
    step_io.hold_signals()
    try:
        run = step_io.start_run(job_type, name, run_config)
    except step_io.StepError as err:
        step_io.release_signals()
        stop(config, str(err))
    config.stash[SESSION].run = run
    step_io.release_signals()
    return run


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Callable[[str, float, str], None]:
    """Records what a check measured, and what it expected, for the table of checks
    in W&B. A check records it before it asserts, so a failed check shows it too."""

    def record(what: str, value: float, expected: str) -> None:
        figures = request.config.stash[SESSION].figures
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
    session = item.config.stash.get(SESSION, None)
    if session is None:
        return report
    if report.failed:
        session.outcomes[item.nodeid] = "failed"
    elif report.when == "call" and report.passed:
        session.outcomes.setdefault(item.nodeid, "passed")
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Log the checks' outcomes and table to the W&B run, and finish it: as failed
    unless every check passed, with why in its summary."""
    checks = session.config.stash.get(SESSION, None)
    if checks is None or checks.finished:  # done already, for another conftest.py
        return
    checks.finished = True
    outcomes = checks.outcomes
    failed = sorted(name for name, outcome in outcomes.items() if outcome == "failed")
    passed = len(outcomes) - len(failed)
    checks.failed = failed
    if INTERRUPTIONS:  # as a step run by run.py would exit
        session.exitstatus = 128 + INTERRUPTIONS[0].signum
    run = checks.run
    if run is None:
        step_io.hold_signals()
        return
    logged = {"checks_passed": passed, "checks_failed": len(failed)}
    rows = check_rows(outcomes, checks.figures)
    if rows:
        import wandb  # imported already: the run has started

        logged["checks"] = wandb.Table(columns=CHECK_COLUMNS, data=rows)
    run.log(logged)
    run.summary["failed_checks"] = failed
    problem = why_it_failed(checks)
    if problem is not None:
        run.summary["error"] = problem
    run.finish(exit_code=0 if exitstatus == pytest.ExitCode.OK else 1)
    # What is left is to say how it went: a signal now would only cut that short.
    step_io.hold_signals()
