#!/usr/bin/env python
"""An MLflow step: keep the listings priced within a range and inside New York City,
parse their review dates and log the cleaned CSV to W&B. The rows stream through a
block at a time, so memory stays flat whatever the file's size.

README.md says what the step does and how to run it; MLproject declares its
parameters; step_io.py holds the wiring shared by every step.
"""

from __future__ import annotations

import argparse
import array
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import step_io

if TYPE_CHECKING:
    import pandas as pd

{% include "identity.py.j2" %}

{% include "arguments.py.j2" %}

# A box around the five boroughs, in degrees. A listing pinned outside it is a
# geocoding slip or not in the city at all, and would only blur the city's prices.
NYC_LONGITUDE = (-74.25, -73.50)
NYC_LATITUDE = (40.5, 41.2)
# What the cleaning reads, and the kind of value each column must hold.
NEEDED_COLUMNS = {
    "price": "number",
    "latitude": "number",
    "longitude": "number",
    "last_review": "any",
}
# Parsing with one strict format keeps a typo from being read as some other day.
REVIEW_DATE_FORMAT = "%Y-%m-%d"
# Rows kept shown as a table in W&B: what a person checks first.
PREVIEW_ROWS = 20
# The rows are read, cleaned and written about this many bytes of the file at a time.
BLOCK_BYTES = step_io.CSV_BLOCK_BYTES

# The data logic: plain functions on DataFrames, testable without W&B or files.


def clean(
    rows: pd.DataFrame,
    min_price: float,
    max_price: float,
    parameters: dict[str, object] | None = None,
) -> pd.DataFrame:
    """The listings priced within ``[min_price, max_price]`` (bounds included) and
    inside New York City, with ``last_review`` parsed as a date. ``parameters`` holds
    the step's own parameters by name, for what you add here.

    The step calls it on each block of rows in turn, so it must decide each row on
    its own (a filter on the whole file, say on its median price, needs a first pass
    over the file for that figure).

    A listing without a price or coordinates is dropped; one never reviewed keeps a
    missing ``last_review``. Raises ValueError if a kept ``last_review`` is not a
    YYYY-MM-DD date.
    """
    priced = rows["price"].between(min_price, max_price)
    in_nyc = rows["longitude"].between(*NYC_LONGITUDE) & rows["latitude"].between(
        *NYC_LATITUDE
    )
    kept = rows[priced & in_nyc].reset_index(drop=True)
    return kept.assign(last_review=parse_review_dates(kept["last_review"]))


def parse_review_dates(text: pd.Series) -> pd.Series:
    import pandas as pd

    # As text: pandas reads a column of numbers (20190521) as numbers, and would
    # parse them, with a format, as the epoch offsets it warns of.
    dates = pd.to_datetime(
        text.astype("string"), format=REVIEW_DATE_FORMAT, errors="coerce"
    )
    unreadable = text[text.notna() & dates.isna()]
    if not unreadable.empty:
        raise ValueError(
            f"column last_review: {len(unreadable)} value(s) are not YYYY-MM-DD "
            f"dates, the first is {str(unreadable.iloc[0])!r}"
        )
    return dates


# The wiring: W&B and files around the data logic.


def preview(cleaned: pd.DataFrame, rows: int = PREVIEW_ROWS) -> pd.DataFrame:
    """The first rows kept, as text where W&B's table would not take a value (dates,
    missing values), for a person to look at."""
    import pandas as pd

    head = cleaned.head(rows).copy()
    for column in head.columns:
        if not pd.api.types.is_numeric_dtype(head[column]):
            head[column] = head[column].astype("string").fillna("")
    return head


class Seen:
    """What the step keeps of the blocks as they pass, for W&B: the counts, the first
    rows kept, and every price before and after the filter, as float32: 4 bytes a
    row each, at most 40 MB for five million rows (a histogram's bins span them all,
    so all are kept until it is made)."""

    def __init__(self) -> None:
        self.rows_in = self.rows_out = 0
        self.first_kept: pd.DataFrame | None = None
        self.prices_before = array.array("f")
        self.prices_after = array.array("f")

    def add(self, rows: pd.DataFrame, cleaned: pd.DataFrame) -> None:
        import numpy as np
        import pandas as pd

        self.rows_in += len(rows)
        self.rows_out += len(cleaned)
        before = rows["price"].to_numpy("float32")
        # A missing price has no place on the axis, nor has an infinite one.
        self.prices_before.frombytes(before[np.isfinite(before)].tobytes())
        self.prices_after.frombytes(cleaned["price"].to_numpy("float32").tobytes())
        if self.first_kept is None or self.first_kept.empty:
            self.first_kept = cleaned.head(PREVIEW_ROWS)
        elif len(self.first_kept) < PREVIEW_ROWS and not cleaned.empty:
            more = cleaned.head(PREVIEW_ROWS - len(self.first_kept))
            self.first_kept = pd.concat([self.first_kept, more], ignore_index=True)

    def counts(self) -> dict[str, int]:
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_dropped": self.rows_in - self.rows_out,
        }


def pictures(seen: Seen) -> dict[str, object]:
    """What W&B shows of the cleaning: a preview table of the rows kept, and the
    price distribution before and after the filter (W&B's own table and histograms,
    cheap to make; no plotting library is imported)."""
    import numpy as np
    import wandb

    return {
        "preview": wandb.Table(dataframe=preview(seen.first_kept)),
        "price_before": wandb.Histogram(np.frombuffer(seen.prices_before, "float32")),
        "price_after": wandb.Histogram(np.frombuffer(seen.prices_after, "float32")),
    }


def cleaned_blocks(
    path: Path, args: argparse.Namespace, seen: Seen
) -> Iterator[pd.DataFrame]:
    """The rows of the file ``path``, cleaned a block at a time; ``seen`` notes each
    block."""
    blocks = step_io.read_csv_blocks(
        path, "input_artifact", NEEDED_COLUMNS, block_bytes=BLOCK_BYTES
    )
    for rows in blocks:
        try:
            cleaned = clean(
                rows, args.min_price, args.max_price, parameters=step_parameters(args)
            )
        except ValueError as err:
            where = f"rows {seen.rows_in + 1:,}-{seen.rows_in + len(rows):,}"
            raise step_io.StepError(
                f"--input_artifact {str(path)!r}: {where}: {step_io.one_line(err)}"
            ) from None
        seen.add(rows, cleaned)
        yield cleaned


def check_price_range(min_price: float, max_price: float) -> None:
    for option, price in (("min_price", min_price), ("max_price", max_price)):
        if not math.isfinite(price) or price < 0:
            raise step_io.StepError(
                f"--{option} '{price}': a price must be a finite number of dollars, "
                "0 or more"
            )
    if min_price > max_price:
        raise step_io.StepError(
            f"--min_price '{min_price}': is above --max_price '{max_price}', so no "
            "listing could be kept"
        )


def go(args: argparse.Namespace) -> None:
    run_name = (
        f"{JOB_TYPE}: {Path(args.input_artifact).name} -> {args.output_artifact}, "
        f"price {args.min_price:g}-{args.max_price:g}"
    )
    config = {
        "input": {"artifact": args.input_artifact},
        "filters": {
            "min_price": args.min_price,
            "max_price": args.max_price,
            "longitude": list(NYC_LONGITUDE),
            "latitude": list(NYC_LATITUDE),
        },
        "output": step_io.dataset_output_config(args),
        "parameters": step_parameters(args),
    }
    with step_io.wandb_run(JOB_TYPE, run_name, config) as run:
        # Checked inside the run, so that a bad value shows in W&B as a failed run.
        check_price_range(args.min_price, args.max_price)
        step_io.check_dataset_output(args)
        with step_io.Outputs(run, args.output_dir) as outputs:
            output = outputs.claim(args.output_artifact, "output_artifact")
            path = step_io.fetch_input(run, "input_artifact", args.input_artifact)
            seen = Seen()
            blocks = cleaned_blocks(path, args, seen)
            # Written as it is read: a bad value further on fails the step, and the
            # transaction removes what was written.
            outputs.write(
                output, lambda partial: step_io.write_csv_blocks(blocks, partial)
            )
            if not seen.rows_out:
                raise step_io.StepError(
                    f"--input_artifact {str(path)!r}: no rows left with price in "
                    f"[{args.min_price:g}, {args.max_price:g}] inside NYC (longitude "
                    f"{NYC_LONGITUDE[0]}..{NYC_LONGITUDE[1]}, latitude "
                    f"{NYC_LATITUDE[0]}..{NYC_LATITUDE[1]}) out of {seen.rows_in}; "
                    "check the file or widen --min_price/--max_price"
                )
            counts, columns = seen.counts(), list(seen.first_kept.columns)
            run.log({**counts, **pictures(seen)})
            del seen  # its prices go before W&B maps the whole output to hash it
            step_io.log_dataset_output(
                outputs,
                output,
                args,
                step=STEP_NAME,
                input=args.input_artifact,
                **counts,
                price_range=[args.min_price, args.max_price],
                columns=columns,
            )


if __name__ == "__main__":
    sys.exit(step_io.main(build_parser, go))
