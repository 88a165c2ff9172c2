"""The cleaning step: its data logic alone, then the whole step offline."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

import run
import step_io
from step_testing import (
    assert_failed_on_one_line,
    assert_the_run_failed,
    own_parameters,
    parameters_passed_to,
    step,
)

# --- the data logic ---


def test_prices_within_the_range_are_kept_bounds_included(listings):
    cleaned = run.clean(listings, min_price=79, max_price=150)
    assert list(cleaned["price"]) == [149, 150, 89, 80, 79]
    assert list(cleaned["id"]) == [2539, 3647, 3831, 5022, 5178]
    assert list(cleaned.index) == list(range(5))


def test_listings_outside_new_york_city_are_dropped(listings):
    listings.loc[0, "longitude"] = -74.26  # west of Staten Island
    listings.loc[1, "latitude"] = 41.21  # north of the Bronx
    listings.loc[2, "longitude"] = -73.49  # east of Queens
    listings.loc[3, "latitude"] = 40.49  # south of the city
    listings.loc[4, ["longitude", "latitude"]] = [-74.25, 40.5]  # on the edge
    listings.loc[5, ["longitude", "latitude"]] = [-73.5, 41.2]  # on the edge
    cleaned = run.clean(listings, min_price=0, max_price=1000)
    assert list(cleaned["id"]) == [5022, 5099, 5121, 5178]


def test_listings_without_a_price_or_coordinates_are_dropped(listings):
    listings["price"] = listings["price"].astype(float)
    listings.loc[0, "price"] = math.nan
    listings.loc[1, "latitude"] = math.nan
    listings.loc[2, "longitude"] = math.nan
    cleaned = run.clean(listings, min_price=0, max_price=1000)
    assert list(cleaned["id"]) == [3831, 5022, 5099, 5121, 5178]


def test_last_review_becomes_a_date_and_missing_stays_missing(listings):
    cleaned = run.clean(listings, min_price=0, max_price=1000)
    assert pd.api.types.is_datetime64_dtype(cleaned["last_review"])
    assert cleaned.loc[0, "last_review"] == pd.Timestamp("2018-10-19")
    assert pd.isna(cleaned.loc[2, "last_review"])
    other_columns = listings.columns.drop("last_review")
    pd.testing.assert_frame_equal(cleaned[other_columns], listings[other_columns])


def test_a_review_date_that_is_not_iso_is_refused(listings):
    listings.loc[[1, 4], "last_review"] = ["21/05/2019", "2019-02-30"]
    with pytest.raises(ValueError, match=r"2 value\(s\) .* the first is '21/05/2019'"):
        run.clean(listings, min_price=0, max_price=1000)


def test_a_bad_date_in_a_dropped_row_does_not_matter(listings):
    listings.loc[1, "last_review"] = "someday"
    cleaned = run.clean(listings, min_price=0, max_price=200)
    assert "someday" not in cleaned["last_review"].astype(str).tolist()
    assert 2595 not in cleaned["id"].tolist()


def test_nothing_in_range_gives_an_empty_frame_with_every_column(listings):
    cleaned = run.clean(listings, min_price=1000, max_price=2000)
    assert cleaned.empty
    assert list(cleaned.columns) == list(listings.columns)


# --- the whole step, W&B offline ---


def test_the_step_runs_with_offline_wandb(offline_wandb, listings):
    listings.to_csv("listings.csv", index=False)
    assert step("--input_artifact", "listings.csv") == 0
    written = pd.read_csv(offline_wandb / "outputs" / "clean_sample.csv")
    assert len(written) == len(listings)
    assert list(offline_wandb.glob("wandb_dir/wandb/offline-run-*"))


def test_the_step_writes_the_cleaned_csv_and_logs_it(
    offline_wandb, recorded_runs, listings
):
    listings.to_csv("listings.csv", index=False)
    argv = ["--input_artifact", "listings.csv", "--min_price", "79"]
    argv += ["--max_price", "150", "--output_artifact", "cleaned.csv"]
    argv += ["--output_type", "clean_sample", "--output_description", "Cleaned"]
    assert step(*argv) == 0

    outputs = offline_wandb / "outputs"
    # The output, and the step's record of it (see step_io.Output).
    assert sorted(p.name for p in outputs.iterdir()) == [
        ".cleaned.csv.lock",
        "cleaned.csv",
    ]
    text = pd.read_csv(outputs / "cleaned.csv", dtype=str, keep_default_na=False)
    assert text["id"].tolist() == ["2539", "3647", "3831", "5022", "5178"]
    # Dates go out as they came in: YYYY-MM-DD, and empty where there was none.
    assert text["last_review"].tolist() == [
        "2018-10-19",
        "",
        "2019-07-05",
        "2018-11-19",
        "2019-06-24",
    ]

    (recorded,) = recorded_runs
    assert recorded.job_type == run.JOB_TYPE
    assert recorded.config["filters"]["min_price"] == 79
    assert recorded.name.endswith("listings.csv -> cleaned.csv, price 79-150")
    (logged,) = recorded.history
    assert {key: logged[key] for key in ("rows_in", "rows_out", "rows_dropped")} == {
        "rows_in": 8,
        "rows_out": 5,
        "rows_dropped": 3,
    }
    # What a person looks at in W&B: the rows kept, the prices before and after.
    assert len(logged["preview"].data) == 5
    assert logged["preview"].columns == list(pd.read_csv("outputs/cleaned.csv").columns)
    assert sum(logged["price_before"].histogram) == 8
    assert sum(logged["price_after"].histogram) == 5
    (artifact,) = recorded.artifacts
    assert (artifact.name, artifact.type) == ("cleaned.csv", "clean_sample")
    assert artifact.description == "Cleaned"
    assert artifact.metadata["rows_in"] == 8
    assert artifact.metadata["rows_out"] == 5
    assert artifact.metadata["rows_dropped"] == 3
    assert artifact.metadata["price_range"] == [79, 150]
    assert list(artifact.manifest.entries) == ["cleaned.csv"]
    assert recorded.exit_code == 0


@pytest.mark.parametrize(
    ("prices", "fragments"),
    [
        (["--min_price", "400"], ["--min_price '400.0'", "above --max_price '350.0'"]),
        (["--min_price", "-5"], ["--min_price '-5.0'", "0 or more"]),
        (["--max_price", "nan"], ["--max_price 'nan'", "finite"]),
    ],
)
def test_a_nonsense_price_range_fails_the_run_and_writes_nothing(
    offline_wandb, recorded_runs, listings, capsys, prices, fragments
):
    listings.to_csv("listings.csv", index=False)
    assert step("--input_artifact", "listings.csv", *prices) == 1
    error = assert_failed_on_one_line(capsys, *fragments)
    assert_the_run_failed(recorded_runs, error)
    # The run's config holds the value refused.
    option, value = prices
    held = recorded_runs[0].config["filters"][option.removeprefix("--")]
    assert held == pytest.approx(float(value), nan_ok=True)
    assert not (offline_wandb / "outputs").exists()


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (
            lambda rows: rows.drop(columns=["last_review", "latitude"]),
            ["missing column(s) latitude, last_review"],
        ),
        (
            lambda rows: rows.assign(price="$" + rows["price"].astype(str)),
            ["column(s) price should hold numbers"],
        ),
        (
            lambda rows: rows.assign(longitude=-80.0),
            ["no rows left with price in [10, 350] inside NYC", "out of 8"],
        ),
        (
            lambda rows: rows.assign(last_review="last week"),
            ["column last_review", "'last week'"],
        ),
        (lambda rows: rows.head(0), ["the file has no rows"]),
        (
            lambda rows: rows.assign(name="x" * (step_io.ARROW_BLOCK_BYTES * 2)),
            ["a row is longer than", "raise step_io.ARROW_BLOCK_BYTES"],
        ),
    ],
)
def test_a_bad_input_fails_and_writes_nothing(
    offline_wandb, recorded_runs, listings, capsys, change, fragments
):
    change(listings).to_csv("listings.csv", index=False)
    assert step("--input_artifact", "listings.csv") == 1
    error = assert_failed_on_one_line(
        capsys, "--input_artifact 'listings.csv'", *fragments
    )
    assert_the_run_failed(recorded_runs, error)
    assert not (offline_wandb / "outputs").exists()


def test_a_price_range_nothing_falls_in_names_the_filter(
    recorded_runs, listings, capsys
):
    listings.to_csv("listings.csv", index=False)
    argv = ["--input_artifact", "listings.csv", "--min_price", "1000"]
    assert step(*argv, "--max_price", "2000") == 1
    error = assert_failed_on_one_line(
        capsys, "no rows left with price in [1000, 2000] inside NYC", "--min_price"
    )
    assert_the_run_failed(recorded_runs, error)


def test_an_infinite_price_is_dropped_and_left_out_of_the_histogram(
    recorded_runs, listings
):
    listings["price"] = listings["price"].astype(float)
    listings.loc[1, "price"] = math.inf
    listings.to_csv("listings.csv", index=False)
    assert step("--input_artifact", "listings.csv") == 0
    (logged,) = recorded_runs[0].history
    assert sum(logged["price_before"].histogram) == 7
    assert logged["rows_out"] == 7


def test_the_step_s_own_parameters_reach_clean(offline_wandb, listings, monkeypatch):
    received = parameters_passed_to(monkeypatch, "clean")
    listings.to_csv("listings.csv", index=False)
    assert step("--input_artifact", "listings.csv") == 0
    assert received == [own_parameters("--input_artifact", "listings.csv")]


# --- the rows a block at a time ---

# Small enough that a few dozen rows make several blocks.
SMALL_BLOCK_BYTES = 600


def many_listings(listings: pd.DataFrame, copies: int = 12) -> pd.DataFrame:
    """The listings over and over, each with an id of its own, some priced out of
    the default range."""
    rows = pd.concat([listings] * copies, ignore_index=True)
    rows["id"] = range(len(rows))
    rows["price"] += rows.index % 7 * 40
    return rows


def cleaned_whole(path: str, tmp_path: Path) -> pd.DataFrame:
    """What the step wrote when it read, cleaned and wrote the whole file at once,
    read back."""
    whole = tmp_path / "whole.csv"
    run.step_io.to_csv(run.clean(pd.read_csv(path), 10, 350), whole)
    return pd.read_csv(whole)


def blocks_cleaned(monkeypatch) -> list[bool]:
    """One item per block ``run.clean`` is called on: whether the output's partial
    file was there (the blocks before were being written)."""
    partial = Path("outputs", ".clean_sample.csv.partial")
    calls, real = [], run.clean

    def spy(*args, **kwargs):
        calls.append(partial.exists())
        return real(*args, **kwargs)

    monkeypatch.setattr(run, "clean", spy)
    return calls


@pytest.mark.parametrize("block_bytes", [SMALL_BLOCK_BYTES, run.BLOCK_BYTES])
def test_the_output_is_what_cleaning_the_whole_file_writes(
    offline_wandb, listings, monkeypatch, block_bytes
):
    monkeypatch.setattr(run, "BLOCK_BYTES", block_bytes)
    rows = many_listings(listings)
    rows.loc[17, "price"] = math.nan
    rows.loc[30, "longitude"] = -80.0
    rows.to_csv("listings.csv", index=False)
    assert step("--input_artifact", "listings.csv") == 0
    written = pd.read_csv("outputs/clean_sample.csv")
    pd.testing.assert_frame_equal(written, cleaned_whole("listings.csv", offline_wandb))


def test_a_first_block_without_review_dates_does_not_fail_the_dates_after_it(
    offline_wandb, listings, monkeypatch
):
    monkeypatch.setattr(run, "BLOCK_BYTES", SMALL_BLOCK_BYTES)
    blocks = blocks_cleaned(monkeypatch)
    rows = many_listings(listings)
    rows.loc[:40, "last_review"] = None
    rows.to_csv("listings.csv", index=False)
    assert step("--input_artifact", "listings.csv") == 0
    assert len(blocks) > 3
    written = pd.read_csv("outputs/clean_sample.csv")
    assert written["last_review"].head(20).isna().all()
    assert written["last_review"].notna().any()
    pd.testing.assert_frame_equal(written, cleaned_whole("listings.csv", offline_wandb))


def test_titles_keep_their_line_breaks_commas_and_quotes(
    offline_wandb, listings, monkeypatch
):
    monkeypatch.setattr(run, "BLOCK_BYTES", SMALL_BLOCK_BYTES)
    rows = many_listings(listings)
    rows.loc[::5, "name"] = 'Loft, "quiet"\r\nby the park,\n\n'
    rows.to_csv("listings.csv", index=False)
    assert step("--input_artifact", "listings.csv") == 0
    written = pd.read_csv("outputs/clean_sample.csv")
    titles = rows.set_index("id").loc[written["id"], "name"].reset_index(drop=True)
    pd.testing.assert_series_equal(written["name"], titles)


def test_empty_fields_quoted_or_not_are_missing_values(tmp_path):
    path = tmp_path / "listings.csv"
    path.write_text(
        "id,host_name,price,latitude,longitude,last_review\n"
        '1,"",80,40.7,-73.9,\n'
        '2,,90,40.7,-73.9,""\n'
        "3,NA,100,40.7,-73.9,2019-05-21\n"
    )
    (rows,) = run.step_io.read_csv_blocks(path, "input_artifact", run.NEEDED_COLUMNS)
    assert rows["host_name"].isna().all()
    cleaned = run.clean(rows, 10, 350)
    assert cleaned["last_review"].isna().tolist() == [True, True, False]


def test_numbers_are_written_bare_and_text_as_it_came(offline_wandb, listings):
    listings.loc[0, "host_name"] = "007"
    listings.to_csv("listings.csv", index=False)
    assert step("--input_artifact", "listings.csv") == 0
    lines = Path("outputs/clean_sample.csv").read_text().splitlines()
    assert lines[1].startswith('2539,"Clean & quiet apt home by the park",2787,"007"')
    assert lines[1].endswith(",149,1,9,2018-10-19,0.21,6,365")


@pytest.mark.parametrize(
    ("column", "value", "fragments"),
    [
        ("price", "free", ["column(s) price should hold numbers"]),
        ("last_review", "2019-02-30", ["column last_review", "is '2019-02-30'"]),
    ],
)
def test_a_bad_value_far_into_the_file_fails_and_leaves_no_partial_file(
    offline_wandb,
    recorded_runs,
    listings,
    capsys,
    monkeypatch,
    column,
    value,
    fragments,
):
    monkeypatch.setattr(run, "BLOCK_BYTES", SMALL_BLOCK_BYTES)
    blocks = blocks_cleaned(monkeypatch)
    rows = many_listings(listings).astype({column: object})
    last = len(rows) - 1
    rows.loc[last, "price"] = 100  # kept, so that its review date is read
    rows.loc[last, column] = value
    rows.to_csv("listings.csv", index=False)
    assert step("--input_artifact", "listings.csv") == 1
    error = assert_failed_on_one_line(
        capsys, "--input_artifact 'listings.csv': rows ", f"-{last + 1}: ", *fragments
    )
    assert_the_run_failed(recorded_runs, error)
    # The blocks before the bad one were written to the partial file, now gone.
    assert len(blocks) > 3 and blocks[-1]
    assert not (offline_wandb / "outputs").exists()
