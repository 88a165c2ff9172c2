"""The data check: its helpers alone, then the checks run as MLproject runs them
(``pytest test_data.py --csv ... --ref ...``), offline, on local files."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import test_data

STEP_DIR = Path(test_data.__file__).resolve().parent
ALL_CHECKS = [
    "test_column_names",
    "test_neighbourhood_names",
    "test_proper_boundaries",
    "test_price_range",
    "test_row_count",
    "test_similar_neighbourhood_distribution",
]

# The helpers.


def test_the_same_shares_diverge_by_nothing():
    counts = pd.Series({"Bronx": 3, "Manhattan": 5})
    assert test_data.kl_divergence(counts, counts * 10) == pytest.approx(0, abs=1e-9)


def test_kl_divergence_aligns_groups_by_name():
    data_counts = pd.Series({"Brooklyn": 1, "Manhattan": 1})
    ref_counts = pd.Series({"Manhattan": 1, "Brooklyn": 9})
    expected = 0.5 * math.log(0.5 / 0.1) + 0.5 * math.log(0.5 / 0.9)
    divergence = test_data.kl_divergence(data_counts, ref_counts)
    assert divergence == pytest.approx(expected, rel=1e-6)


def test_a_group_the_reference_lacks_diverges_a_lot_but_finitely():
    data_counts = pd.Series({"Bronx": 5, "Queens": 5})
    ref_counts = pd.Series({"Bronx": 10})
    divergence = test_data.kl_divergence(data_counts, ref_counts)
    assert math.isfinite(divergence)
    assert divergence > 5


def test_a_group_the_data_lacks_only_rescales_the_others():
    data_counts = pd.Series({"Bronx": 10})
    ref_counts = pd.Series({"Bronx": 9, "Queens": 1})
    divergence = test_data.kl_divergence(data_counts, ref_counts)
    assert divergence == pytest.approx(math.log(1 / 0.9), rel=1e-6)


def test_the_schema_itself_has_no_column_problems():
    assert test_data.column_problems(test_data.COLUMNS, test_data.COLUMNS) == []


def test_column_problems_name_missing_and_unexpected_columns():
    found = ["id", "name", "colour"]
    problems = test_data.column_problems(found, ["id", "name", "price"])
    assert problems == ["missing price", "unexpected colour"]


def test_column_problems_name_the_order_when_only_it_differs():
    problems = test_data.column_problems(["name", "id"], ["id", "name"])
    assert problems == ["in another order: name, id"]


def test_examples_show_a_few_values_and_count_the_rest():
    assert test_data.examples([1, 2, 3, 4, 5]) == "1, 2, 3 and 2 more"
    assert test_data.examples(["Bronxx"]) == "'Bronxx'"


def test_shares_are_compared_group_by_group():
    data_counts = pd.Series({"Queens": 3, "Bronx": 1})
    ref_counts = pd.Series({"Bronx": 1, "Queens": 1})
    assert test_data.compare_shares(data_counts, ref_counts) == (
        "Bronx 25.0% vs 50.0%, Queens 75.0% vs 50.0%"
    )


def step_conftest():
    """The step's conftest.py, loaded under a name of its own: pytest has already
    taken the name conftest for tests/conftest.py."""
    spec = importlib.util.spec_from_file_location(
        "step_conftest", STEP_DIR / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GOOD_THRESHOLDS = {
    "kl_threshold": 0.2,
    "min_price": 10.0,
    "max_price": 350.0,
    "min_rows": 100,
    "max_rows": 1000000,
}


def test_thresholds_any_data_could_meet_are_accepted():
    module = step_conftest()
    module.check_thresholds(**GOOD_THRESHOLDS)
    module.check_thresholds(
        **{**GOOD_THRESHOLDS, "min_price": 80.0, "max_price": 80.0, "min_rows": 0}
    )


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"kl_threshold": 0.0}, "--kl_threshold 0.0: must be above 0"),
        ({"kl_threshold": math.nan}, "--kl_threshold nan: must be above 0"),
        ({"min_price": math.nan}, "--min_price nan: not a number"),
        ({"min_price": 400.0}, "--min_price 400.0: above --max_price 350.0"),
        ({"min_rows": -1}, "--min_rows -1: must be 0 or more"),
        ({"max_rows": 10}, "--min_rows 100: above --max_rows 10"),
    ],
)
def test_thresholds_no_data_could_meet_are_refused(changes, problem):
    module = step_conftest()
    with pytest.raises(module.step_io.StepError) as error:
        module.check_thresholds(**{**GOOD_THRESHOLDS, **changes})
    assert str(error.value).startswith(problem)


# The checks, run as MLproject runs them.


# pytest, as ``python -m pytest`` runs it, with each W&B run the step starts wrapped
# in a RecordedRun (step_io.testing); what they recorded goes to the JSON file
# named by the first argument. Offline, W&B keeps a run's exit code and summary only
# in its binary log, which wandb 0.31 has no reader for.
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

step_io.start_run = recording_start_run
exit_code = pytest.main(sys.argv[2:])
recorded = [
    {
        "config": run.config,
        "summary": run.summary,
        "artifacts": len(run.artifacts),
        "exit_code": run.exit_code,
        "tables": {
            key: {"columns": value.columns, "data": value.data}
            for logged in run.history
            for key, value in logged.items()
            if hasattr(value, "columns")
        },
    }
    for run in runs
]
with open(sys.argv[1], "w", encoding="utf-8") as file:
    json.dump(recorded, file)
sys.exit(exit_code)
"""


def check(*options: str) -> subprocess.CompletedProcess:
    """``pytest -vv test_data.py`` in the step's folder, as MLproject runs it. The
    offline_wandb fixture has put W&B offline in a temporary folder; W&B is not
    silenced here, so the run summary it prints can be read."""
    return run_pytest(["-m", "pytest"], options)


def check_recording_runs(
    folder: Path, *options: str
) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """``check(*options)``, and what each W&B run the step started recorded: its
    config, summary, number of artifacts, exit code and the tables it logged."""
    recorded = folder / "recorded_runs.json"
    result = run_pytest(["-c", RECORDING_PYTEST, str(recorded)], options)
    assert recorded.exists(), result.stderr[-3000:]
    return result, json.loads(recorded.read_text(encoding="utf-8"))


def run_pytest(program: list[str], options: tuple[str, ...]):
    command = [sys.executable, *program, "-vv", "-p", "no:cacheprovider"]
    command += ["test_data.py", *options]
    return subprocess.run(
        command,
        check=False,
        cwd=STEP_DIR,
        env={**os.environ, "WANDB_SILENT": "false"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def write(rows: pd.DataFrame, path: Path) -> str:
    rows.to_csv(path, index=False)
    return str(path)


def logged(result: subprocess.CompletedProcess, name: str) -> str:
    """A value of the W&B run summary, as W&B prints it when the run finishes."""
    _, _, summary = result.stderr.partition("wandb: Run summary:")
    match = re.search(rf"^wandb: {name}\s+(\S+)$", summary, re.MULTILINE)
    assert match, f"{name} not in the W&B summary:\n{result.stderr[-3000:]}"
    return match.group(1)


def test_good_data_passes_every_check(offline_wandb, listings):
    csv = write(listings, offline_wandb / "listings.csv")
    result, (recorded,) = check_recording_runs(
        offline_wandb, "--csv", csv, "--ref", csv, "--min_rows", "1"
    )
    assert result.returncode == 0, result.stdout[-3000:]
    for name in ALL_CHECKS:
        assert f"test_data.py::{name} PASSED" in result.stdout
    assert logged(result, "checks_passed") == "6"
    assert logged(result, "checks_failed") == "0"
    assert logged(result, "kl_divergence") == "0"
    assert list(offline_wandb.glob("wandb_dir/wandb/offline-run-*"))
    # The table of checks in W&B: each check, its outcome and what it measured.
    checks = recorded["tables"]["checks"]
    assert checks["columns"] == ["check", "outcome", "figure", "value", "expected"]
    assert [row[:2] for row in checks["data"]] == [
        [name, "passed"] for name in ALL_CHECKS
    ]
    figures = {row[0]: row[2:] for row in checks["data"]}
    assert figures["test_row_count"] == ["rows", 8, "1 to 1000000"]
    assert figures["test_price_range"] == ["prices outside [10.0, 350.0]", 0, "0"]
    what, divergence, expected = figures["test_similar_neighbourhood_distribution"]
    assert (divergence, expected) == (pytest.approx(0, abs=1e-9), "below 0.2")


def test_bad_values_fail_their_checks_and_the_step(offline_wandb, listings):
    listings.loc[0, "price"] = 5000
    listings.loc[1, "neighbourhood_group"] = "Atlantis"
    listings.loc[2, "longitude"] = -75.0
    csv = write(listings, offline_wandb / "listings.csv")
    # Its own reference, so that only the three bad values can fail a check.
    result, (recorded,) = check_recording_runs(
        offline_wandb, "--csv", csv, "--ref", csv, "--min_rows", "1"
    )
    assert result.returncode == 1, result.stdout[-3000:]
    failed = {
        "test_price_range": (
            "1 of 8 prices outside [10.0, 350.0], from 5000 to 5000: 5000"
        ),
        "test_neighbourhood_names": (
            "1 of 8 rows in no known neighbourhood group: 'Atlantis'"
        ),
        "test_proper_boundaries": (
            "1 of 8 rows outside latitude 40.5..41.2, longitude -74.25..-73.5: "
            "(latitude, longitude) (40.80902, -75.0)"
        ),
    }
    for name, message in failed.items():
        assert f"FAILED test_data.py::{name} - AssertionError: {message}" in (
            result.stdout
        )
    assert result.stdout.count(" PASSED") == len(ALL_CHECKS) - len(failed)
    assert logged(result, "checks_failed") == "3"
    assert logged(result, "checks_passed") == "3"
    # A failed check shows in the table of checks with the figure it failed on.
    rows = {row[0]: row for row in recorded["tables"]["checks"]["data"]}
    assert rows["test_price_range"][1:4] == [
        "failed",
        "prices outside [10.0, 350.0]",
        1,
    ]
    assert rows["test_neighbourhood_names"][1:4] == [
        "failed",
        "rows in no known group",
        1,
    ]
    assert rows["test_row_count"][1] == "passed"


def test_the_price_range_and_row_count_come_from_the_options(offline_wandb, listings):
    csv = write(listings, offline_wandb / "listings.csv")
    result = check("--csv", csv, "--ref", csv, "--max_price", "100")
    assert result.returncode == 1
    assert "4 of 8 prices outside [10.0, 100.0], from 149 to 225" in result.stdout
    # The default --min_rows 100 is more than eight listings.
    assert "8 rows, expected 100 to 1000000" in result.stdout
    assert logged(result, "checks_failed") == "2"


def test_columns_out_of_order_fail_the_schema_check(offline_wandb, listings):
    csv = write(listings, offline_wandb / "listings.csv")
    swapped = write(
        listings[["name", "id", *test_data.COLUMNS[2:]]], offline_wandb / "swapped.csv"
    )
    result = check("--csv", swapped, "--ref", csv, "--min_rows", "1")
    assert result.returncode == 1
    assert "AssertionError: columns: in another order: name, id, host_id," in (
        result.stdout
    )
    assert result.stdout.count(" FAILED") == 1


def test_a_drift_from_the_reference_fails_the_distribution_check(
    offline_wandb, listings
):
    csv = write(listings, offline_wandb / "listings.csv")
    elsewhere = listings.assign(neighbourhood_group="Queens")
    reference = write(elsewhere, offline_wandb / "reference.csv")
    result = check("--csv", csv, "--ref", reference, "--min_rows", "1")
    assert result.returncode == 1
    assert "test_similar_neighbourhood_distribution FAILED" in result.stdout
    assert "not below 0.2; shares here vs there: Brooklyn 37.5% vs 0.0%" in (
        result.stdout
    )


def assert_stopped_on_one_line(result: subprocess.CompletedProcess, line: str):
    """The session stopped before any check ran, saying why on one line."""
    output = result.stdout + result.stderr
    last = result.stderr.splitlines()[-1] if result.stderr else ""
    assert last.startswith(f"test_data.py: error: {line}"), output[-3000:]
    assert "Traceback" not in output
    assert " PASSED" not in result.stdout
    assert " FAILED" not in result.stdout


def assert_the_run_failed(
    result: subprocess.CompletedProcess, recorded_runs: list[dict], line: str
) -> dict:
    """The step started one W&B run and finished it as failed, with no artifact
    logged and the whole line it stopped on, which starts with ``line``, kept in the
    run's summary; that run."""
    (recorded,) = recorded_runs
    assert recorded["exit_code"] == 1
    assert recorded["artifacts"] == 0
    error = recorded["summary"]["error"]
    assert error.startswith(line)
    assert_stopped_on_one_line(result, error)
    return recorded


@pytest.mark.parametrize(
    ("content", "option", "problem"),
    [
        (None, "csv", "no such local path, and W&B is offline"),
        ("", "csv", "the file is empty"),
        ("id,price\n1,100\n", "csv", "missing column(s) neighbourhood_group"),
        ("neighbourhood_group\n", "ref", "the file has no rows"),
    ],
    ids=["missing", "empty", "without-columns", "without-rows"],
)
def test_a_bad_input_stops_the_step_on_one_line(
    offline_wandb, listings, content, option, problem
):
    good = write(listings, offline_wandb / "good.csv")
    bad = offline_wandb / "bad.csv"
    if content is not None:
        bad.write_text(content)
    paths = {"csv": good, "ref": good, option: str(bad)}
    result, recorded_runs = check_recording_runs(
        offline_wandb, "--csv", paths["csv"], "--ref", paths["ref"], "--min_rows", "1"
    )
    assert result.returncode == 1
    line = f"--{option} {str(bad)!r}: {problem}"
    assert_stopped_on_one_line(result, line)
    assert_the_run_failed(result, recorded_runs, line)


def test_a_wandb_reference_offline_stops_the_step_on_one_line(offline_wandb, listings):
    csv = write(listings, offline_wandb / "listings.csv")
    result, recorded_runs = check_recording_runs(
        offline_wandb, "--csv", csv, "--ref", "clean_sample.csv:reference"
    )
    assert result.returncode == 1
    line = "--ref 'clean_sample.csv:reference': no such local path, and W&B is"
    assert_stopped_on_one_line(result, line)
    assert_the_run_failed(result, recorded_runs, line)


def test_a_run_w_and_b_cannot_start_stops_the_step_on_one_line(
    offline_wandb, listings, monkeypatch
):
    csv = write(listings, offline_wandb / "listings.csv")
    monkeypatch.setenv("WANDB_MODE", "bogus")
    result = check("--csv", csv, "--ref", csv, "--min_rows", "1")
    assert result.returncode == 1
    assert_stopped_on_one_line(result, "W&B cannot start the run: ")
    assert "bogus" in result.stderr.splitlines()[-1]


def test_a_missing_option_is_a_usage_error(offline_wandb, listings):
    csv = write(listings, offline_wandb / "listings.csv")
    result = check("--csv", csv)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert_stopped_on_one_line(result, "--ref: missing; the checks need it")
    assert not list(offline_wandb.glob("wandb_dir/wandb/offline-run-*"))


@pytest.mark.parametrize(
    ("option", "value", "line"),
    [
        ("min_price", "400", "--min_price 400.0: above --max_price 350.0"),
        (
            "kl_threshold",
            "0",
            "--kl_threshold 0.0: must be above 0, as a KL divergence is never below 0",
        ),
        ("min_rows", "-1", "--min_rows -1: must be 0 or more"),
    ],
)
def test_thresholds_no_data_could_meet_stop_the_step_and_fail_its_run(
    offline_wandb, listings, option, value, line
):
    csv = write(listings, offline_wandb / "listings.csv")
    result, recorded_runs = check_recording_runs(
        offline_wandb, "--csv", csv, "--ref", csv, f"--{option}", value
    )
    assert result.returncode == 1
    assert_stopped_on_one_line(result, line)
    recorded = assert_the_run_failed(result, recorded_runs, line)
    assert recorded["summary"]["error"] == line
    assert recorded["config"]["thresholds"][option] == float(value)
    assert len(list(offline_wandb.glob("wandb_dir/wandb/offline-run-*"))) == 1
