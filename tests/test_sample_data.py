"""The sample listings have the real data's schema and awkward values."""

from __future__ import annotations

import pandas as pd
from make_sample_data import COLUMNS, make_listings, write_listings

EXPECTED_COLUMNS = [
    "id",
    "name",
    "host_id",
    "host_name",
    "neighbourhood_group",
    "neighbourhood",
    "latitude",
    "longitude",
    "room_type",
    "price",
    "minimum_nights",
    "number_of_reviews",
    "last_review",
    "reviews_per_month",
    "calculated_host_listings_count",
    "availability_365",
]


def test_same_arguments_give_the_same_bytes(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_listings(first, rows=300, seed=3)
    write_listings(second, rows=300, seed=3)
    assert first.read_bytes() == second.read_bytes()
    write_listings(second, rows=300, seed=4)
    assert first.read_bytes() != second.read_bytes()


def test_schema_and_shape_survive_a_csv_round_trip(tmp_path):
    path = tmp_path / "listings.csv"
    write_listings(path, rows=5000, seed=11)
    frame = pd.read_csv(path)
    assert list(frame.columns) == EXPECTED_COLUMNS == COLUMNS
    assert len(frame) == 5000
    assert frame["id"].is_unique
    assert (
        frame["price"].dtype.kind == "i" and frame["minimum_nights"].dtype.kind == "i"
    )
    assert frame["latitude"].between(40.50, 40.92).all()
    assert frame["longitude"].between(-74.24, -73.71).all()
    assert set(frame["neighbourhood_group"]) == {
        "Manhattan",
        "Brooklyn",
        "Queens",
        "Bronx",
        "Staten Island",
    }
    assert (frame.groupby("neighbourhood")["neighbourhood_group"].nunique() == 1).all()
    assert 100 <= frame["price"].median() <= 110
    assert 0.93 <= frame["price"].between(10, 350).mean() <= 0.97
    missing = frame["last_review"].isna()
    assert 0.17 <= missing.mean() <= 0.23
    assert (missing == frame["reviews_per_month"].isna()).all()
    names = frame["name"].dropna()
    assert names.str.contains(",").mean() > 0.1
    assert names.str.contains("\n").any()
    assert names.str.contains('"').any()
    assert names.map(lambda s: not s.isascii()).any()


def test_the_frame_matches_what_is_written(tmp_path):
    path = tmp_path / "listings.csv"
    write_listings(path, rows=200, seed=5)
    pd.testing.assert_frame_equal(pd.read_csv(path), make_listings(200, seed=5))
