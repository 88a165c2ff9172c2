#!/usr/bin/env python
"""An MLflow step: split a CSV into training-and-validation rows and test rows, and
log both to W&B. README.md says how to run it; the package step_io holds the wiring
steps share."""

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
    one more value (ValueError for a value too rare to appear in both).
    ``parameters``, the step's own parameters by name."""
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


# The wiring: W&B and files around the data logic.


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
    source, share = Path(args.input).name, f"{args.test_size:.0%}"
    run_name = f"{JOB_TYPE}: {source} -> {share} test, {how}"
    options = {
        "test_size": args.test_size,
        "random_seed": args.random_seed,
        "stratify_by": args.stratify_by,
    }
    names = [TRAINVAL_ARTIFACT, TEST_ARTIFACT]
    config = {
        "input": {"artifact": args.input},
        "split": options,
        "output": {"artifacts": names, "type": ARTIFACT_TYPE, "dir": args.output_dir},
        "parameters": step_parameters(args),
    }
    with step_io.wandb_run(JOB_TYPE, run_name, config) as run:
        # Checked inside the run, so that a bad value shows in W&B as a failed run.
        check_split_options(args.test_size, args.random_seed)
        with step_io.Outputs(run, args.output_dir) as outputs:
            claimed = [outputs.claim(name, "output_dir") for name in names]
            path = step_io.fetch_input(run, "input", args.input)
            rows = step_io.read_csv(path, "input")
            if stratified and args.stratify_by not in rows.columns:
                raise step_io.StepError(
                    f"--stratify_by {args.stratify_by!r}: {str(path)!r} has no such "
                    f"column; give one of its columns, or {NO_STRATIFICATION}"
                )
            held_out = math.ceil(args.test_size * len(rows))  # as scikit-learn rounds
            if not 0 < held_out < len(rows):
                raise step_io.StepError(
                    f"--input {str(path)!r}: {len(rows)} row(s) are too few to split "
                    f"with --test_size '{args.test_size}', one part would be empty"
                )
            try:
                parts = split(
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

            counts = {"rows_in": len(rows)}
            counts.update(rows_trainval=len(parts[0]), rows_test=len(parts[1]))
            descriptions = [
                f"Training and validation rows of {args.input}: the "
                f"{1 - args.test_size:.0%} not held out for the test ({how})",
                f"Test rows of {args.input}: {share} held out from training and "
                f"validation ({how})",
            ]
            for output, part, text in zip(claimed, parts, descriptions, strict=True):
                outputs.write_csv(output, part)
                metadata = {"step": STEP_NAME, "input": args.input, **counts}
                metadata.update(options)
                outputs.log(output, ARTIFACT_TYPE, text, rows=len(part), **metadata)
            import wandb

            sizes = split_sizes(*parts, args.stratify_by)
            run.log({**counts, "split_sizes": wandb.Table(dataframe=sizes)})


if __name__ == "__main__":
    sys.exit(step_io.main(build_parser, go))
