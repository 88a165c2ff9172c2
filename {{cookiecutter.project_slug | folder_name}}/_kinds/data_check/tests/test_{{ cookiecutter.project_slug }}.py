"""The data check's own logic: the helpers and checks of test_data.py on small
frames, the thresholds and inputs conftest.py refuses, and one run of the checks as
MLproject runs them (``pytest test_data.py --csv ... --ref ...``), offline, on local
files. The session's wiring (a bad option or input stopping it on one line, the W&B
run failed with why, the table of checks) is step_io.checks', tested in its package.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from step_io.testing import FakeOnlineRun

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


def write(rows: pd.DataFrame, path: Path) -> str:
    rows.to_csv(path, index=False)
    return str(path)


def test_the_inputs_need_only_the_columns_the_checks_use(tmp_path, listings):
    module = step_conftest()
    csv = write(listings, tmp_path / "listings.csv")
    ref = write(listings[["neighbourhood_group"]], tmp_path / "ref.csv")
    run = FakeOnlineRun({})
    tables = module.read_inputs(run, {"csv": csv, "ref": ref})
    assert list(tables["ref"].columns) == ["neighbourhood_group"]
    without = write(listings.drop(columns=["price", "latitude"]), tmp_path / "bad.csv")
    with pytest.raises(module.step_io.StepError) as error:
        module.read_inputs(run, {"csv": without, "ref": ref})
    assert str(error.value) == f"--csv {without!r}: missing column(s) latitude, price"


# The checks, on small frames.

CHECK_THRESHOLDS = {**GOOD_THRESHOLDS, "min_rows": 1}


def run_checks(data: pd.DataFrame, ref_data: pd.DataFrame | None = None, **changes):
    """Each check of test_data.py, given its fixtures by name as pytest would give
    them: by name, what it handed to `figure` and why it failed (None if it passed);
    and what the checks logged to the run."""
    run = FakeOnlineRun({})
    results = {}
    for name in ALL_CHECKS:
        check = getattr(test_data, name)
        figures = []
        fixtures = {
            "data": data,
            "ref_data": data if ref_data is None else ref_data,
            "run": run,
            "figure": lambda *figure, figures=figures: figures.append(figure),
            **CHECK_THRESHOLDS,
            **changes,
        }
        wanted = inspect.signature(check).parameters
        try:
            check(**{fixture: fixtures[fixture] for fixture in wanted})
            failure = None
        except AssertionError as err:
            failure = str(err).partition("\n")[0]
        (figure,) = figures  # recorded before it asserts, whether it passes or not
        results[name] = (figure, failure)
    return results, run.history


def test_good_data_passes_every_check(listings):
    results, logged = run_checks(listings)
    assert {name: failure for name, (_, failure) in results.items()} == dict.fromkeys(
        ALL_CHECKS
    )
    figures = {name: figure for name, (figure, _) in results.items()}
    assert figures["test_column_names"] == ("column problems", 0, "0")
    assert figures["test_row_count"] == ("rows", 8, "1 to 1000000")
    assert figures["test_price_range"] == ("prices outside [10.0, 350.0]", 0, "0")
    what, divergence, expected = figures["test_similar_neighbourhood_distribution"]
    assert (divergence, expected) == (pytest.approx(0, abs=1e-9), "below 0.2")
    # Logged whether or not the check passes.
    assert logged == [{"kl_divergence": pytest.approx(0, abs=1e-9)}]


def test_bad_values_fail_their_checks(listings):
    listings.loc[0, "price"] = 5000
    listings.loc[1, "neighbourhood_group"] = "Atlantis"
    listings.loc[2, "longitude"] = -75.0
    # Its own reference, so that only the three bad values can fail a check.
    results, _ = run_checks(listings)
    failures = {name: failure for name, (_, failure) in results.items() if failure}
    assert failures == {
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
    # A failed check shows the figure it failed on.
    assert results["test_price_range"][0] == ("prices outside [10.0, 350.0]", 1, "0")
    assert results["test_neighbourhood_names"][0] == ("rows in no known group", 1, "0")


def test_the_price_range_and_row_count_come_from_the_thresholds(listings):
    results, _ = run_checks(listings, max_price=100.0, min_rows=100)
    assert results["test_price_range"][1] == (
        "4 of 8 prices outside [10.0, 100.0], from 149 to 225: 149, 225, 150 and 1 more"
    )
    assert results["test_row_count"][1] == "8 rows, expected 100 to 1000000"


def test_columns_out_of_order_fail_the_schema_check(listings):
    swapped = listings[["name", "id", *test_data.COLUMNS[2:]]]
    results, _ = run_checks(swapped)
    failures = [name for name, (_, failure) in results.items() if failure]
    assert failures == ["test_column_names"]
    assert results["test_column_names"][1].startswith(
        "columns: in another order: name, id, host_id,"
    )


def test_a_drift_from_the_reference_fails_the_distribution_check(listings):
    elsewhere = listings.assign(neighbourhood_group="Queens")
    results, logged = run_checks(listings, elsewhere)
    figure, failure = results["test_similar_neighbourhood_distribution"]
    assert "not below 0.2; shares here vs there: Brooklyn 37.5% vs 0.0%" in failure
    assert logged == [{"kl_divergence": figure[1]}]
    assert figure[1] > 0.2


# The checks, run as MLproject runs them.


def logged(result: subprocess.CompletedProcess, name: str) -> str:
    """A value of the W&B run summary, as W&B prints it when the run finishes."""
    _, _, summary = result.stderr.partition("wandb: Run summary:")
    match = re.search(rf"^wandb: {name}\s+(\S+)$", summary, re.MULTILINE)
    assert match, f"{name} not in the W&B summary:\n{result.stderr[-3000:]}"
    return match.group(1)


def test_good_data_passes_every_check_as_mlproject_runs_them(offline_wandb, listings):
    csv = write(listings, offline_wandb / "listings.csv")
    # A value for each parameter the step was generated with, required or not.
    module = step_conftest()
    examples = {str: "example", int: "1", float: "0.5"}
    own = [
        f"--{name}={examples.get(module.OPTION_TYPES[name], 'true')}"
        for name in module.OWN_PARAMETERS
    ]
    # W&B is not silenced, so the run summary it prints can be read.
    command = [sys.executable, "-m", "pytest", "-vv", "-p", "no:cacheprovider"]
    command += ["test_data.py", "--csv", csv, "--ref", csv, "--min_rows", "1", *own]
    result = subprocess.run(
        command,
        check=False,
        cwd=STEP_DIR,
        env={**os.environ, "WANDB_SILENT": "false"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    for name in ALL_CHECKS:
        assert f"test_data.py::{name} PASSED" in result.stdout
    assert logged(result, "checks_passed") == "6"
    assert logged(result, "checks_failed") == "0"
    assert logged(result, "kl_divergence") == "0"
    assert list(offline_wandb.glob("wandb_dir/wandb/offline-run-*"))
