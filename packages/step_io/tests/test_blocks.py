"""A CSV a block at a time: every block typed as pandas.read_csv types the whole file,
and blocks written back as DataFrame.to_csv writes them."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from step_io import StepError
from step_io.blocks import ARROW_BLOCK_BYTES, read_csv_blocks, write_csv_blocks
from step_io.frames import to_csv

# Small enough that a few dozen rows make several blocks.
SMALL = 600


def many(listings: pd.DataFrame, copies: int = 12) -> pd.DataFrame:
    rows = pd.concat([listings] * copies, ignore_index=True)
    rows["id"] = range(len(rows))
    return rows


def blocks_of(path: Path, block_bytes: int = SMALL, **options) -> list[pd.DataFrame]:
    return list(read_csv_blocks(path, "input", block_bytes=block_bytes, **options))


def assert_read_as_pandas_reads_it(path: Path, block_bytes: int = SMALL) -> list:
    blocks = blocks_of(path, block_bytes)
    whole = pd.read_csv(path)
    for block in blocks:
        pd.testing.assert_series_equal(block.dtypes, whole.dtypes)
    pd.testing.assert_frame_equal(pd.concat(blocks, ignore_index=True), whole)
    return blocks


def test_the_listings_come_typed_as_pandas_reads_them(tmp_path, listings):
    path = tmp_path / "listings.csv"
    many(listings).to_csv(path, index=False)
    blocks = assert_read_as_pandas_reads_it(path)
    assert len(blocks) > 3
    assert blocks[0]["price"].dtype == "int64"
    assert blocks[0]["last_review"].dtype == "str"


def test_a_whole_number_column_with_a_gap_far_in_is_float_in_every_block(
    tmp_path, listings
):
    rows = many(listings).astype({"minimum_nights": "float64"})
    rows.loc[len(rows) - 1, "minimum_nights"] = np.nan
    path = tmp_path / "gap.csv"
    rows.to_csv(path, index=False)
    blocks = assert_read_as_pandas_reads_it(path)
    assert {block["minimum_nights"].dtype for block in blocks} == {np.dtype("float64")}


def test_a_column_empty_at_first_and_text_later_is_text_in_every_block(
    tmp_path, listings
):
    rows = many(listings)
    rows["note"] = None
    rows.loc[len(rows) - 1, "note"] = "late"
    path = tmp_path / "late.csv"
    rows.to_csv(path, index=False)
    assert_read_as_pandas_reads_it(path)


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,x\n,y\n3,\n",  # gaps in numbers and text
        'a,b\n"",NA\nnull,"2"\n',  # every missing word, quoted or not
        "flag,n\nTrue,1.5\nfalse,2\nTRUE,-3e2\n",  # true/false, floats
        "flag,n\nTrue,1\n,2\nfalse,3\n",  # true/false with a gap
        "a,a,b\n1,2,3\n",  # a repeated name
        "a,a,b\n1,x,3\n",  # a repeated name, each of its own type
        "x\n 5\n6 \n",  # blanks around a number
        "big\n1\n99999999999\n",
    ],
)
def test_awkward_files_read_as_pandas_reads_them(tmp_path, text):
    path = tmp_path / "awkward.csv"
    path.write_text(text)
    assert_read_as_pandas_reads_it(path, block_bytes=ARROW_BLOCK_BYTES)


def test_text_in_a_number_column_fails_before_any_block_naming_column_and_row(
    tmp_path, listings
):
    rows = many(listings).astype({"price": object})
    rows.loc[80, "price"] = "free"
    path = tmp_path / "listings.csv"
    rows.to_csv(path, index=False)
    blocks = read_csv_blocks(path, "input", {"price": "number"}, block_bytes=SMALL)
    with pytest.raises(StepError) as error:
        next(blocks)
    assert str(error.value) == (
        f"--input {str(path)!r}: column(s) price should hold numbers (row 81 of "
        "price: 'free')"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the file is empty"),
        ("price,b\n", "the file has no rows"),
        ("a,b\n1,2\n", "missing column(s) price"),
        ("price\n" + "x" * (ARROW_BLOCK_BYTES * 2) + "\n", "a row is longer than"),
    ],
)
def test_a_bad_file_fails_on_one_line(tmp_path, text, problem):
    path = tmp_path / "in.csv"
    path.write_text(text)
    with pytest.raises(StepError) as error:
        blocks_of(path, columns={"price": "any"})
    assert problem in str(error.value)
    assert "\n" not in str(error.value)


def read_back(write) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(write))


@pytest.fixture
def edited(listings) -> pd.DataFrame:
    """The listings after the edits a user makes: a whole-number float, a bool, a
    date parsed, a column computed."""
    return listings.assign(
        price=listings["price"].astype("float64"),
        cheap=listings["price"] < 100,
        last_review=pd.to_datetime(listings["last_review"]),
        reviews_per_year=listings["reviews_per_month"].fillna(0) * 12,
    )


def test_blocks_are_written_as_pandas_writes_the_whole_frame(tmp_path, edited):
    path = tmp_path / "out.csv"
    write_csv_blocks(iter([edited.head(3), edited.iloc[3:]]), path)
    expected = read_back(edited.to_csv(index=False))
    pd.testing.assert_frame_equal(pd.read_csv(path), expected)
    assert path.read_text().splitlines()[0] == ",".join(edited.columns)


def test_a_whole_frame_is_written_as_pandas_writes_it(tmp_path, edited):
    times = edited.assign(seen=pd.Timestamp("2019-05-21 10:30"), n=[2**70] * 8)
    for frame in (edited, times):
        path = tmp_path / "out.csv"
        to_csv(frame, path)
        expected = read_back(frame.to_csv(index=False))
        pd.testing.assert_frame_equal(pd.read_csv(path), expected)


def test_blocks_with_other_columns_are_refused(tmp_path, listings):
    with pytest.raises(StepError, match="every block must have the same columns"):
        write_csv_blocks(iter([listings, listings.drop(columns="id")]), tmp_path / "x")
