"""The split step: split() on a few listings, then the whole step once, offline.

When you change split(), adapt its tests below to what it now returns; the last tests
run the real step and check that it writes what split() returns.
"""

from __future__ import annotations

import pandas as pd
import pytest
from step_io.testing import assert_failed_on_one_line, assert_the_run_failed, run_step

import run


@pytest.fixture
def boroughs():
    """Forty listings, three boroughs in the shares 20 : 15 : 5."""
    groups = ["Manhattan"] * 20 + ["Brooklyn"] * 15 + ["Queens"] * 5
    return pd.DataFrame({"id": range(1000, 1040), "neighbourhood_group": groups})


# --- split(), on the forty listings above ---


def test_the_split_holds_out_test_size_and_loses_no_row(boroughs):
    trainval, test = run.split(boroughs, 0.25, 42, "none")
    assert (len(trainval), len(test)) == (30, 10)
    together = pd.concat([trainval, test]).sort_index()
    pd.testing.assert_frame_equal(together, boroughs)


def test_the_same_seed_gives_the_same_split(boroughs):
    first = run.split(boroughs, 0.25, 7, "none")[1]
    again = run.split(boroughs, 0.25, 7, "none")[1]
    other = run.split(boroughs, 0.25, 8, "none")[1]
    assert list(first["id"]) == list(again["id"]) != list(other["id"])


def test_a_stratified_split_keeps_each_share_missing_values_included(boroughs):
    boroughs.loc[boroughs.index[-10:], "neighbourhood_group"] = None
    _, test = run.split(boroughs, 0.5, 42, "neighbourhood_group")
    shares = test["neighbourhood_group"].value_counts().to_dict()
    assert shares == {"Manhattan": 10, "Brooklyn": 5}
    assert test["neighbourhood_group"].isna().sum() == 5


def test_a_value_too_rare_to_stratify_is_refused(boroughs):
    boroughs.loc[0, "neighbourhood_group"] = "Staten Island"
    boroughs.loc[1:2, "neighbourhood_group"] = "Bronx"
    with pytest.raises(ValueError, match="1 value.* single row.*: 'Staten Island'$"):
        run.split(boroughs, 0.2, 42, "neighbourhood_group")


# --- the whole step, W&B offline ---


def test_the_step_writes_and_logs_what_split_returns(
    offline_wandb, recorded_runs, listings
):
    listings.to_csv("listings.csv", index=False)
    argv = ["--input", "listings.csv", "--test_size", "0.5", "--random_seed", "3"]
    assert run_step(run, *argv, "--stratify_by", "neighbourhood_group") == 0
    rows = pd.read_csv("listings.csv")
    expected = run.split(rows, 0.5, 3, "neighbourhood_group")
    (recorded,) = recorded_runs
    assert recorded.exit_code == 0
    names = ["trainval_data.csv", "test_data.csv"]
    for name, part, artifact in zip(names, expected, recorded.artifacts, strict=True):
        written = pd.read_csv(f"outputs/{name}")
        pd.testing.assert_frame_equal(written, part.reset_index(drop=True))
        assert (artifact.name, artifact.type) == (name, "segregated_data")
        assert artifact.metadata["rows"] == len(part)


@pytest.mark.parametrize(
    ("rows", "options", "fragments"),
    [
        (8, ["--test_size", "1"], ["--test_size '1.0'", "between 0 and 1"]),
        (8, ["--stratify_by", "borough"], ["'borough'", "has no such column"]),
        (1, [], ["--input 'listings.csv'", "1 row(s) are too few to split"]),
    ],
)
def test_a_split_that_cannot_be_made_fails_the_run_on_one_line(
    offline_wandb, recorded_runs, listings, capsys, rows, options, fragments
):
    listings.head(rows).to_csv("listings.csv", index=False)
    assert run_step(run, "--input", "listings.csv", *options) == 1
    error = assert_failed_on_one_line(capsys, *fragments)
    assert_the_run_failed(recorded_runs, error)
