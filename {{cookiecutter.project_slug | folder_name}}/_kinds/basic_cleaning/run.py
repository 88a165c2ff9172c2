#!/usr/bin/env python
"""An MLflow step: keep the listings priced within a range and inside New York City,
parse their review dates and log the cleaned CSV to W&B.

README.md says what the step does and how to run it; MLproject declares its
parameters; step_io.py holds the wiring shared by every step.
"""

from __future__ import annotations

import argparse
import math
import sys
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


def pictures(rows: pd.DataFrame, cleaned: pd.DataFrame) -> dict[str, object]:
    """What W&B shows of the cleaning: a preview table of the rows kept, and the
    price distribution before and after the filter (W&B's own table and histograms,
    cheap to make; no plotting library is imported)."""
    import wandb

    return {
        "preview": wandb.Table(dataframe=preview(cleaned)),
        "price_before": wandb.Histogram(rows["price"].dropna().to_numpy()),
        "price_after": wandb.Histogram(cleaned["price"].to_numpy()),
    }


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
            rows = step_io.read_csv(path, "input_artifact", NEEDED_COLUMNS)
            try:
                cleaned = clean(
                    rows,
                    args.min_price,
                    args.max_price,
                    parameters=step_parameters(args),
                )
            except ValueError as err:
                raise step_io.StepError(
                    f"--input_artifact {str(path)!r}: {step_io.one_line(err)}"
                ) from None
            if cleaned.empty:
                raise step_io.StepError(
                    f"--input_artifact {str(path)!r}: no rows left with price in "
                    f"[{args.min_price:g}, {args.max_price:g}] inside NYC (longitude "
                    f"{NYC_LONGITUDE[0]}..{NYC_LONGITUDE[1]}, latitude "
                    f"{NYC_LATITUDE[0]}..{NYC_LATITUDE[1]}) out of {len(rows)}; "
                    "check the file or widen --min_price/--max_price"
                )
            outputs.write_csv(output, cleaned)
            counts = {
                "rows_in": len(rows),
                "rows_out": len(cleaned),
                "rows_dropped": len(rows) - len(cleaned),
            }
            run.log({**counts, **pictures(rows, cleaned)})
            step_io.log_dataset_output(
                outputs,
                output,
                args,
                step=STEP_NAME,
                input=args.input_artifact,
                **counts,
                price_range=[args.min_price, args.max_price],
                columns=list(cleaned.columns),
            )


if __name__ == "__main__":
    sys.exit(step_io.main(build_parser, go))
