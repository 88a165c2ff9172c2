#!/usr/bin/env python
"""An MLflow step: split a CSV into training-and-validation rows and test rows, and
log both to W&B.

README.md says what the step does and how to run it; MLproject declares its
parameters; the package step_io holds the wiring every step shares.
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

# The artifacts the training and testing steps ask for by name.
TRAINVAL_ARTIFACT = "trainval_data.csv"
TEST_ARTIFACT = "test_data.csv"
ARTIFACT_TYPE = "segregated_data"
NO_STRATIFICATION = "none"

# The data logic: plain functions on DataFrames, testable without W&B or files.


def split(
    rows: pd.DataFrame,
    test_size: float,
    random_seed: int,
    stratify_by: str,
    parameters: dict[str, object] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(trainval, test)``: a shuffled split holding ``test_size`` of the rows out
    for the test, the same for the same seed. Unless ``stratify_by`` is "none", each
    value of that column keeps its share in both parts, missing values counting as
    one more value. ``parameters`` holds the step's own parameters by name, for what
    you add here.

    Raises ValueError when a part would be empty or a value of ``stratify_by`` is
    too rare to appear in both parts.
    """
    import pandas as pd
    from sklearn.model_selection import train_test_split

    labels = None
    if stratify_by != NO_STRATIFICATION:
        check_stratifiable(rows[stratify_by])
        # Codes rather than the values: scikit-learn cannot sort text mixed with
        # missing values, and sorted codes keep its order of the values, so a column
        # without gaps splits just as it would itself.
        labels, _ = pd.factorize(rows[stratify_by], sort=True, use_na_sentinel=False)
    trainval, test = train_test_split(
        rows, test_size=test_size, random_state=random_seed, stratify=labels
    )
    return trainval, test


def check_stratifiable(values: pd.Series) -> None:
    """Name the values held by a single row; scikit-learn would refuse them too, but
    by their codes."""
    counts = values.value_counts(dropna=False)
    lonely = sorted(str(value) for value in counts.index[counts < 2])
    if lonely:
        shown = ", ".join(repr(value) for value in lonely[:5])
        more = f" and {len(lonely) - 5} more" if len(lonely) > 5 else ""
        raise ValueError(
            f"{len(lonely)} value(s) are held by a single row, too few to appear in "
            f"both parts: {shown}{more}"
        )


def held_out_count(total: int, test_size: float) -> int:
    """How many of ``total`` rows scikit-learn holds out for ``test_size``."""
    return math.ceil(test_size * total)


# The wiring: W&B and files around the data logic.


def split_sizes(
    trainval: pd.DataFrame, test: pd.DataFrame, stratify_by: str
) -> pd.DataFrame:
    """Rows per split and, when stratified, per stratum: the table W&B shows."""
    import pandas as pd

    parts = {"trainval": trainval, "test": test}
    if stratify_by == NO_STRATIFICATION:
        return pd.DataFrame(
            {"split": list(parts), "rows": [len(part) for part in parts.values()]}
        )
    counts = [
        {"split": name, stratify_by: str(stratum), "rows": int(rows)}
        for name, part in parts.items()
        for stratum, rows in part[stratify_by].value_counts(dropna=False).items()
    ]
    return pd.DataFrame(counts, columns=["split", stratify_by, "rows"])


def check_split_options(test_size: float, random_seed: int) -> None:
    if not 0 < test_size < 1:
        raise step_io.StepError(
            f"--test_size '{test_size}': give the share of rows held out for the "
            "test, a number between 0 and 1 (both excluded)"
        )
    step_io.check_random_seed("random_seed", random_seed)


def go(args: argparse.Namespace) -> None:
    stratified = args.stratify_by != NO_STRATIFICATION
    how = f"seed {args.random_seed}"
    if stratified:
        how += f", stratified by {args.stratify_by}"
    run_name = (
        f"{JOB_TYPE}: {Path(args.input).name} -> {args.test_size:.0%} test, {how}"
    )
    config = {
        "input": {"artifact": args.input},
        "split": {
            "test_size": args.test_size,
            "random_seed": args.random_seed,
            "stratify_by": args.stratify_by,
        },
        "output": {
            "artifacts": [TRAINVAL_ARTIFACT, TEST_ARTIFACT],
            "type": ARTIFACT_TYPE,
            "dir": args.output_dir,
        },
        "parameters": step_parameters(args),
    }
    with step_io.wandb_run(JOB_TYPE, run_name, config) as run:
        # Checked inside the run, so that a bad value shows in W&B as a failed run.
        check_split_options(args.test_size, args.random_seed)
        with step_io.Outputs(run, args.output_dir) as outputs:
            trainval_output = outputs.claim(TRAINVAL_ARTIFACT, "output_dir")
            test_output = outputs.claim(TEST_ARTIFACT, "output_dir")
            path = step_io.fetch_input(run, "input", args.input)
            rows = step_io.read_csv(path, "input")
            if stratified and args.stratify_by not in rows.columns:
                raise step_io.StepError(
                    f"--stratify_by {args.stratify_by!r}: {str(path)!r} has no such "
                    f"column; give one of its columns, or {NO_STRATIFICATION}"
                )
            held_out = held_out_count(len(rows), args.test_size)
            if not 0 < held_out < len(rows):
                raise step_io.StepError(
                    f"--input {str(path)!r}: {len(rows)} row(s) are too few to split "
                    f"with --test_size '{args.test_size}', one part would be empty"
                )
            try:
                trainval, test = split(
                    rows,
                    args.test_size,
                    args.random_seed,
                    args.stratify_by,
                    parameters=step_parameters(args),
                )
            except ValueError as err:
                raise step_io.StepError(
                    f"--stratify_by {args.stratify_by!r}: cannot stratify "
                    f"{str(path)!r} by it: {step_io.one_line(err)}"
                ) from None

            outputs.write_csv(trainval_output, trainval)
            outputs.write_csv(test_output, test)
            counts = {
                "rows_in": len(rows),
                "rows_trainval": len(trainval),
                "rows_test": len(test),
            }
            import wandb

            sizes = split_sizes(trainval, test, args.stratify_by)
            run.log({**counts, "split_sizes": wandb.Table(dataframe=sizes)})

            metadata = {
                "step": STEP_NAME,
                "input": args.input,
                **counts,
                "test_size": args.test_size,
                "random_seed": args.random_seed,
                "stratify_by": args.stratify_by,
            }
            outputs.log(
                trainval_output,
                ARTIFACT_TYPE,
                f"Training and validation rows of {args.input}: the "
                f"{1 - args.test_size:.0%} not held out for the test ({how})",
                rows=len(trainval),
                **metadata,
            )
            outputs.log(
                test_output,
                ARTIFACT_TYPE,
                f"Test rows of {args.input}: {args.test_size:.0%} held out from "
                f"training and validation ({how})",
                rows=len(test),
                **metadata,
            )


if __name__ == "__main__":
    sys.exit(step_io.main(build_parser, go))
