#!/usr/bin/env python
"""An MLflow step: keep the listings priced within a range and inside New York City,
parse their review dates and log the cleaned CSV to W&B, a block of rows at a time.
README.md says how to run it; the package step_io holds the wiring steps share."""

from __future__ import annotations

import argparse
import math
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import step_io
from step_io.blocks import map_blocks, read_csv_blocks, write_csv_blocks
from step_io.pictures import Tally

if TYPE_CHECKING:
    import pandas as pd

{% include "identity.py.j2" %}

{% include "arguments.py.j2" %}

# A box around the five boroughs, in degrees. A listing pinned outside it is a
# geocoding slip or not in the city at all, and would only blur the city's prices.
NYC_LONGITUDE = (-74.25, -73.50)
NYC_LATITUDE = (40.5, 41.2)
# The columns the cleaning reads, and the kind of value each must hold.
NEEDED_COLUMNS = {"price": "number", "latitude": "number", "longitude": "number"}
NEEDED_COLUMNS["last_review"] = "any"

# The data logic: a plain function on a DataFrame, testable without W&B or files.


def clean(
    rows: pd.DataFrame,
    min_price: float,
    max_price: float,
    parameters: dict | None = None,
) -> pd.DataFrame:
    """Return the listings priced within ``[min_price, max_price]`` (bounds
    included) and inside New York City, ``last_review`` parsed as a date (ValueError
    if it is not YYYY-MM-DD). ``rows`` has every column, typed as pandas.read_csv
    types it; ``parameters``, the step's own parameters by name. The step calls this
    on each block of rows in turn, so it must decide each row on its own."""
    import pandas as pd

    priced = rows["price"].between(min_price, max_price)
    in_nyc = rows["longitude"].between(*NYC_LONGITUDE)
    in_nyc &= rows["latitude"].between(*NYC_LATITUDE)
    kept = rows[priced & in_nyc].reset_index(drop=True)
    # As text, with one strict format: a typo is not read as some other day.
    text = kept["last_review"].astype("str")
    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    unreadable = text[text.notna() & dates.isna()]
    if not unreadable.empty:
        raise ValueError(
            f"column last_review: {len(unreadable)} value(s) are not YYYY-MM-DD "
            f"dates, the first is {unreadable.iloc[0]!r}"
        )
    return kept.assign(last_review=dates)


# The wiring: W&B and files around the data logic.


def check_price_range(min_price: float, max_price: float) -> None:
    if not 0 <= min_price <= max_price < math.inf:
        raise step_io.StepError(
            f"--min_price '{min_price}', --max_price '{max_price}': give two finite "
            "prices in dollars, 0 or more, the first not above the second"
        )


def go(args: argparse.Namespace) -> None:
    limits, source = (args.min_price, args.max_price), Path(args.input_artifact).name
    prices = f"price {args.min_price:g}-{args.max_price:g}"
    run_name = f"{JOB_TYPE}: {source} -> {args.output_artifact}, {prices}"
    config = {
        "input": {"artifact": args.input_artifact},
        "filters": {"price": list(limits), "nyc": [NYC_LONGITUDE, NYC_LATITUDE]},
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
            tally = Tally("price")
            blocks = read_csv_blocks(path, "input_artifact", NEEDED_COLUMNS)
            work = partial(clean, min_price=limits[0], max_price=limits[1])
            work = partial(work, parameters=step_parameters(args))
            cleaned = map_blocks(work, blocks, "input_artifact", str(path), tally)
            # Written as it is read; if a block fails, nothing written stays.
            outputs.write(output, lambda partial: write_csv_blocks(cleaned, partial))
            if not tally.rows_out:
                raise step_io.StepError(
                    f"--input_artifact {str(path)!r}: no rows left with price in "
                    f"[{args.min_price:g}, {args.max_price:g}] inside NYC out of "
                    f"{tally.rows_in}; check the file or widen --min_price/--max_price"
                )
            run.log({**tally.counts(), **tally.pictures()})
            metadata = {**tally.counts(), "price_range": list(limits)}
            step_io.log_dataset_output(outputs, output, args, STEP_NAME, **metadata)


if __name__ == "__main__":
    sys.exit(step_io.main(build_parser, go))
