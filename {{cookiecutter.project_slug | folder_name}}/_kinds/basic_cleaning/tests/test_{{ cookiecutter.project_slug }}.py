"""The cleaning step: clean() on a few listings, then the whole step once, offline.

When you change clean(), adapt the tests of clean() below to what it now keeps; the
last test runs the real step and checks that it writes what clean() returns.
"""

from __future__ import annotations

import pandas as pd
import pytest
from step_io.testing import assert_failed_on_one_line, assert_the_run_failed, run_step

import run

# --- clean(), on the eight listings of the `listings` fixture ---


def test_prices_within_the_range_are_kept_bounds_included(listings):
    cleaned = run.clean(listings, min_price=79, max_price=150)
    assert list(cleaned["price"]) == [149, 150, 89, 80, 79]
    assert list(cleaned["id"]) == [2539, 3647, 3831, 5022, 5178]


def test_listings_outside_new_york_city_are_dropped(listings):
    listings.loc[0, "longitude"] = -74.26  # west of Staten Island
    listings.loc[1, "latitude"] = 41.21  # north of the Bronx
    listings.loc[2, "longitude"] = -73.49  # east of Queens
    listings.loc[3, "latitude"] = 40.49  # south of the city
    listings.loc[4, ["longitude", "latitude"]] = [-74.25, 40.5]  # on the edge
    cleaned = run.clean(listings, min_price=0, max_price=1000)
    assert list(cleaned["id"]) == [5022, 5099, 5121, 5178]


def test_last_review_becomes_a_date_and_the_rest_is_kept_as_it_was(listings):
    cleaned = run.clean(listings, min_price=0, max_price=1000)
    assert cleaned.loc[0, "last_review"] == pd.Timestamp("2018-10-19")
    assert pd.isna(cleaned.loc[2, "last_review"])
    others = listings.columns.drop("last_review")
    pd.testing.assert_frame_equal(cleaned[others], listings[others])


def test_a_review_date_that_is_not_iso_is_refused(listings):
    listings.loc[[1, 4], "last_review"] = ["21/05/2019", "2019-02-30"]
    with pytest.raises(ValueError, match=r"2 value\(s\) .* the first is '21/05/2019'"):
        run.clean(listings, min_price=0, max_price=1000)


# --- the whole step, W&B offline ---


def test_the_step_writes_and_logs_what_clean_returns(
    offline_wandb, recorded_runs, listings
):
    listings.to_csv("listings.csv", index=False)
    assert run_step(run, "--input_artifact", "listings.csv", "--max_price", "200") == 0
    # What pandas reads back from the output is what it reads from clean()'s frame.
    run.clean(pd.read_csv("listings.csv"), 10, 200).to_csv("expected.csv", index=False)
    written = pd.read_csv("outputs/clean_sample.csv")
    pd.testing.assert_frame_equal(written, pd.read_csv("expected.csv"))
    (recorded,) = recorded_runs
    (artifact,) = recorded.artifacts
    assert (artifact.name, artifact.type) == ("clean_sample.csv", "clean_sample")
    assert recorded.exit_code == 0


def test_a_nonsense_price_range_fails_the_run_on_one_line(
    offline_wandb, recorded_runs, listings, capsys
):
    listings.to_csv("listings.csv", index=False)
    argv = ["--input_artifact", "listings.csv", "--min_price", "400"]
    assert run_step(run, *argv) == 1
    error = assert_failed_on_one_line(capsys, "--min_price '400.0'", "not above")
    assert_the_run_failed(recorded_runs, error)
