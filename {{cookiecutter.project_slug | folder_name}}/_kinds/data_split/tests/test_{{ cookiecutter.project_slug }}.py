"""The split step: its data logic alone, then the whole step offline."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.model_selection import train_test_split
from step_io.testing import (
    assert_failed_on_one_line,
    assert_the_run_failed,
    run_step,
)

import run


def step(*argv: str) -> int:
    """The exit code of ``python run.py ARGV``, run in this process."""
    return run_step(run, *argv)


@pytest.fixture
def boroughs():
    """Forty listings, three boroughs in the shares 20 : 15 : 5."""
    groups = ["Manhattan"] * 20 + ["Brooklyn"] * 15 + ["Queens"] * 5
    return pd.DataFrame(
        {
            "id": range(1000, 1040),
            "neighbourhood_group": groups,
            "price": [50 + 5 * i for i in range(40)],
        }
    )


def output_files(folder) -> list[str]:
    outputs = folder / "outputs"
    return sorted(p.name for p in outputs.iterdir()) if outputs.exists() else []


# --- the data logic ---


def test_the_split_holds_out_test_size_and_loses_no_row(boroughs):
    trainval, test = run.split(boroughs, 0.25, 42, "none")
    assert (len(trainval), len(test)) == (30, 10)
    assert set(trainval["id"]).isdisjoint(test["id"])
    together = pd.concat([trainval, test]).sort_index()
    pd.testing.assert_frame_equal(together, boroughs)


def test_the_same_seed_gives_the_same_split(boroughs):
    first = run.split(boroughs, 0.25, 7, "none")
    again = run.split(boroughs, 0.25, 7, "none")
    other = run.split(boroughs, 0.25, 8, "none")
    assert list(first[1]["id"]) == list(again[1]["id"])
    assert sorted(first[1]["id"]) != sorted(other[1]["id"])


def test_a_stratified_split_keeps_each_share(boroughs):
    _, test = run.split(boroughs, 0.2, 42, "neighbourhood_group")
    assert test["neighbourhood_group"].value_counts().to_dict() == {
        "Manhattan": 4,
        "Brooklyn": 3,
        "Queens": 1,
    }


def test_a_stratified_split_is_scikit_learns_own(boroughs):
    trainval, test = run.split(boroughs, 0.3, 3, "neighbourhood_group")
    expected = train_test_split(
        boroughs,
        test_size=0.3,
        random_state=3,
        stratify=boroughs["neighbourhood_group"],
    )
    pd.testing.assert_frame_equal(trainval, expected[0])
    pd.testing.assert_frame_equal(test, expected[1])


def test_missing_values_stratify_as_one_more_value(boroughs):
    boroughs.loc[boroughs.index[-10:], "neighbourhood_group"] = None
    _, test = run.split(boroughs, 0.5, 42, "neighbourhood_group")
    assert test["neighbourhood_group"].isna().sum() == 5
    assert test["neighbourhood_group"].value_counts().to_dict() == {
        "Manhattan": 10,
        "Brooklyn": 5,
    }


def test_a_value_too_rare_to_stratify_is_refused(boroughs):
    boroughs.loc[0, "neighbourhood_group"] = "Staten Island"
    boroughs.loc[1:2, "neighbourhood_group"] = "Bronx"
    with pytest.raises(ValueError, match="1 value.* single row.*: 'Staten Island'$"):
        run.split(boroughs, 0.2, 42, "neighbourhood_group")


def test_many_lonely_values_are_named_a_few_at_a_time(boroughs):
    with pytest.raises(ValueError, match="^40 value.*'1000', .* '1004' and 35 more$"):
        run.split(boroughs, 0.2, 42, "id")


@pytest.mark.parametrize(
    ("total", "test_size", "held_out"),
    [(40, 0.25, 10), (10, 0.25, 3), (1, 0.2, 1), (3, 0.01, 1)],
)
def test_held_out_count_rounds_up_as_scikit_learn_does(total, test_size, held_out):
    assert run.held_out_count(total, test_size) == held_out
    if held_out < total:
        _, test = train_test_split(range(total), test_size=test_size)
        assert len(test) == held_out


# --- the whole step, W&B offline ---


def test_the_step_runs_with_offline_wandb(offline_wandb, listings):
    listings.to_csv("listings.csv", index=False)
    assert step("--input", "listings.csv", "--test_size", "0.25") == 0
    trainval = pd.read_csv(offline_wandb / "outputs" / "trainval_data.csv")
    test = pd.read_csv(offline_wandb / "outputs" / "test_data.csv")
    assert (len(trainval), len(test)) == (6, 2)
    assert list(offline_wandb.glob("wandb_dir/wandb/offline-run-*"))


def test_split_sizes_count_rows_per_split_and_stratum(listings):
    trainval, test = run.split(listings, 0.5, 3, "neighbourhood_group")
    sizes = run.split_sizes(trainval, test, "neighbourhood_group")
    assert sizes["rows"].sum() == len(listings)
    assert set(sizes["split"]) == {"trainval", "test"}
    plain = run.split_sizes(trainval, test, "none")
    assert plain.to_dict("records") == [
        {"split": "trainval", "rows": len(trainval)},
        {"split": "test", "rows": len(test)},
    ]


def test_the_step_writes_both_parts_and_logs_them(
    offline_wandb, recorded_runs, listings
):
    listings.to_csv("listings.csv", index=False)
    argv = ["--input", "listings.csv", "--test_size", "0.5", "--random_seed", "3"]
    assert step(*argv, "--stratify_by", "neighbourhood_group") == 0

    # Both parts, and the step's record of each (see step_io.Output).
    assert output_files(offline_wandb) == [
        ".test_data.csv.lock",
        ".trainval_data.csv.lock",
        "test_data.csv",
        "trainval_data.csv",
    ]
    trainval = pd.read_csv(offline_wandb / "outputs" / "trainval_data.csv")
    test = pd.read_csv(offline_wandb / "outputs" / "test_data.csv")
    expected_trainval, expected_test = run.split(
        listings, 0.5, 3, "neighbourhood_group"
    )
    pd.testing.assert_frame_equal(trainval, expected_trainval.reset_index(drop=True))
    pd.testing.assert_frame_equal(test, expected_test.reset_index(drop=True))
    # 5 Manhattan and 3 Brooklyn listings: half of each, rounded either way.
    in_test = test["neighbourhood_group"].value_counts()
    assert in_test["Manhattan"] in (2, 3)
    assert in_test["Brooklyn"] in (1, 2)

    (recorded,) = recorded_runs
    assert recorded.job_type == run.JOB_TYPE
    assert recorded.config["split"] == {
        "test_size": 0.5,
        "random_seed": 3,
        "stratify_by": "neighbourhood_group",
    }
    assert recorded.name.endswith(
        "listings.csv -> 50% test, seed 3, stratified by neighbourhood_group"
    )
    (logged,) = recorded.history
    sizes = logged.pop("split_sizes")
    assert logged == {"rows_in": 8, "rows_trainval": 4, "rows_test": 4}
    # Rows per split and stratum, as W&B shows them.
    assert sizes.columns == ["split", "neighbourhood_group", "rows"]
    assert sum(row[2] for row in sizes.data) == 8
    shown = {(row[0], row[1]): row[2] for row in sizes.data}
    assert shown[("test", "Manhattan")] == in_test["Manhattan"]
    trainval_artifact, test_artifact = recorded.artifacts
    for artifact, rows in ((trainval_artifact, 4), (test_artifact, 4)):
        assert artifact.type == "segregated_data"
        assert artifact.metadata["rows"] == rows
        assert artifact.metadata["random_seed"] == 3
        assert artifact.metadata["test_size"] == 0.5
        assert artifact.metadata["stratify_by"] == "neighbourhood_group"
        assert list(artifact.manifest.entries) == [artifact.name]
    assert trainval_artifact.name == "trainval_data.csv"
    assert trainval_artifact.description.startswith("Training and validation rows")
    assert test_artifact.name == "test_data.csv"
    assert test_artifact.description.startswith("Test rows")
    assert recorded.exit_code == 0


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        (["--test_size", "0"], ["--test_size '0.0'", "between 0 and 1"]),
        (["--test_size", "1"], ["--test_size '1.0'", "between 0 and 1"]),
        (["--test_size", "nan"], ["--test_size 'nan'", "between 0 and 1"]),
        (["--random_seed", "-1"], ["--random_seed '-1'", "between 0 and"]),
    ],
)
def test_a_nonsense_option_fails_the_run_and_writes_nothing(
    offline_wandb, recorded_runs, listings, capsys, options, fragments
):
    listings.to_csv("listings.csv", index=False)
    assert step("--input", "listings.csv", *options) == 1
    error = assert_failed_on_one_line(capsys, *fragments)
    assert_the_run_failed(recorded_runs, error)
    # The run's config holds the value refused.
    option, value = options
    held = recorded_runs[0].config["split"][option.removeprefix("--")]
    assert held == pytest.approx(float(value), nan_ok=True)
    assert output_files(offline_wandb) == []


@pytest.mark.parametrize(
    ("rows", "options", "fragments"),
    [
        (
            8,
            ["--stratify_by", "borough"],
            ["--stratify_by 'borough'", "'listings.csv' has no such column"],
        ),
        (
            8,
            ["--stratify_by", "host_name"],
            ["--stratify_by 'host_name'", "cannot stratify", "'Chris', 'Elisabeth'"],
        ),
        (
            8,
            ["--stratify_by", "neighbourhood_group", "--test_size", "0.1"],
            ["--stratify_by 'neighbourhood_group'", "number of classes = 2"],
        ),
        (
            1,
            [],
            ["--input 'listings.csv'", "1 row(s) are too few to split"],
        ),
        (
            4,
            ["--test_size", "0.9"],
            ["--input 'listings.csv'", "4 row(s) are too few", "--test_size '0.9'"],
        ),
    ],
)
def test_a_split_that_cannot_be_made_fails_and_writes_nothing(
    offline_wandb, recorded_runs, listings, capsys, rows, options, fragments
):
    listings.head(rows).to_csv("listings.csv", index=False)
    assert step("--input", "listings.csv", *options) == 1
    error = assert_failed_on_one_line(capsys, *fragments)
    assert_the_run_failed(recorded_runs, error)
    assert output_files(offline_wandb) == []
