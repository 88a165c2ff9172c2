"""The data checks. conftest.py reads --csv and --ref into the `data` and `ref_data`
fixtures and turns the other options into fixtures of the same name. Each check
hands what it measured to the `figure` fixture (step_io.checks'), for the table of
checks in W&B.

Each failed check says what it found. The helpers and checks are plain functions, so
the step's own tests (tests/) can call them directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd
    import wandb

    # The `figure` fixture (step_io.checks): what a check measured, its value, what
    # was expected.
    Figure = Callable[[str, float, str], None]

# The listings schema, in order.
COLUMNS = [
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
NEIGHBOURHOOD_GROUPS = ["Bronx", "Brooklyn", "Manhattan", "Queens", "Staten Island"]
LONGITUDE = (-74.25, -73.50)
LATITUDE = (40.5, 41.2)
# Stands in for a share of 0, so a group present on one side only gives a large but
# finite divergence instead of a division by zero.
EPSILON = 1e-9
EXAMPLES = 3


def column_problems(found: list[str], expected: list[str]) -> list[str]:
    """What differs between two column lists: missing, unexpected, then order."""
    missing = [name for name in expected if name not in found]
    unexpected = [name for name in found if name not in expected]
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing))
    if unexpected:
        problems.append("unexpected " + ", ".join(unexpected))
    if not problems and found != expected:
        problems.append("in another order: " + ", ".join(found))
    return problems


def kl_divergence(data_counts: pd.Series, ref_counts: pd.Series) -> float:
    """KL divergence D(data || ref), in nats, of two category counts; the categories
    are aligned, and one missing on either side counts as EPSILON."""
    categories = data_counts.index.union(ref_counts.index)
    data_shares = shares(data_counts.reindex(categories, fill_value=0))
    ref_shares = shares(ref_counts.reindex(categories, fill_value=0))
    return float(np.sum(data_shares * np.log(data_shares / ref_shares)))


def shares(counts: pd.Series) -> np.ndarray:
    values = counts.to_numpy(dtype=float) + EPSILON
    return values / values.sum()


def compare_shares(data_counts: pd.Series, ref_counts: pd.Series) -> str:
    """Each category's share of the data against its share of the reference."""
    total, ref_total = data_counts.sum(), ref_counts.sum()
    return ", ".join(
        f"{category} {data_counts.get(category, 0) / total:.1%}"
        f" vs {ref_counts.get(category, 0) / ref_total:.1%}"
        for category in data_counts.index.union(ref_counts.index)
    )


def examples(values: list) -> str:
    """The first few offending values, for an assertion message."""
    shown = ", ".join(repr(value) for value in values[:EXAMPLES])
    more = len(values) - EXAMPLES
    return shown + (f" and {more} more" if more > 0 else "")


def test_column_names(data: pd.DataFrame, figure: Figure):
    problems = column_problems(list(data.columns), COLUMNS)
    figure("column problems", len(problems), "0")
    assert not problems, "columns: " + "; ".join(problems)


# The checks below assert on plain counts: pytest would print a whole Series that
# appeared in an assertion, and the message already says what was found.


def test_neighbourhood_names(data: pd.DataFrame, figure: Figure):
    groups = data["neighbourhood_group"]
    unknown = ~groups.isin(NEIGHBOURHOOD_GROUPS)
    rows_unknown = int(unknown.sum())
    figure("rows in no known group", rows_unknown, "0")
    assert rows_unknown == 0, (
        f"{rows_unknown} of {len(data)} rows in no known neighbourhood group: "
        + examples(groups[unknown].unique().tolist())
    )


def test_proper_boundaries(data: pd.DataFrame, figure: Figure):
    inside = data["longitude"].between(*LONGITUDE) & data["latitude"].between(*LATITUDE)
    outside = data[~inside]
    places = list(
        zip(outside["latitude"].tolist(), outside["longitude"].tolist(), strict=True)
    )
    figure("rows outside the boundaries", len(places), "0")
    assert len(places) == 0, (
        f"{len(places)} of {len(data)} rows outside latitude {LATITUDE[0]}.."
        f"{LATITUDE[1]}, longitude {LONGITUDE[0]}..{LONGITUDE[1]}: (latitude, "
        f"longitude) {examples(places)}"
    )


def test_price_range(
    data: pd.DataFrame, min_price: float, max_price: float, figure: Figure
):
    prices = data["price"]
    outside = prices[~prices.between(min_price, max_price)]
    rows_outside = len(outside)
    figure(f"prices outside [{min_price}, {max_price}]", rows_outside, "0")
    assert rows_outside == 0, (
        f"{rows_outside} of {len(data)} prices outside [{min_price}, {max_price}], "
        f"from {outside.min()} to {outside.max()}: {examples(outside.tolist())}"
    )


def test_row_count(data: pd.DataFrame, min_rows: int, max_rows: int, figure: Figure):
    rows = len(data)
    figure("rows", rows, f"{min_rows} to {max_rows}")
    assert min_rows <= rows <= max_rows, (
        f"{rows} rows, expected {min_rows} to {max_rows}"
    )


def test_similar_neighbourhood_distribution(
    data: pd.DataFrame,
    ref_data: pd.DataFrame,
    kl_threshold: float,
    run: wandb.Run,
    figure: Figure,
):
    data_counts = data["neighbourhood_group"].value_counts()
    ref_counts = ref_data["neighbourhood_group"].value_counts()
    divergence = kl_divergence(data_counts, ref_counts)
    # Logged whether or not the check passes, so drift shows before it fails a run.
    run.log({"kl_divergence": divergence})
    figure("KL divergence of neighbourhood_group", divergence, f"below {kl_threshold}")
    assert divergence < kl_threshold, (
        f"KL divergence of neighbourhood_group from the reference is {divergence:.4g}, "
        f"not below {kl_threshold}; shares here vs there: "
        + compare_shares(data_counts, ref_counts)
    )
