#!/usr/bin/env python
"""An MLflow step: read a CSV artifact, transform its rows, log the result to W&B.

README.md says what the step does and how to run it; MLproject declares its
parameters; step_io.py holds the wiring shared by every step.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import step_io

if TYPE_CHECKING:
    import pandas as pd

{% include "identity.py.j2" %}

{% include "arguments.py.j2" %}

# The data logic: plain functions on DataFrames, testable without W&B or files.


def transform(rows: pd.DataFrame, parameters: dict[str, object]) -> pd.DataFrame:
    """A generic step passes the rows through unchanged.

    ``parameters`` holds the step's own parameters by name: this is the function to
    edit when the step is to do real work.

    ``rows`` is the whole file, read at once by ``step_io.read_csv``: what work
    across rows needs (a sort, a group-by, a median), and fine for a file that fits
    in memory a few times over. Where each row is decided on its own (a filter, a
    column computed from the row), the step can stream the file instead, in flat
    memory whatever its size, as the basic_cleaning kind does: ``go()`` reads and
    writes with step_io's block helpers, and calls this on each block of rows::

        blocks = step_io.read_csv_blocks(path, "input_artifact", {"price": "number"})
        done = (transform(rows, parameters=step_parameters(args)) for rows in blocks)
        outputs.write(output, lambda partial: step_io.write_csv_blocks(done, partial))

    Read that way, every column comes as its text (missing values as missing) but
    those given the kind "number", which come as float64; counts of rows are then
    summed block by block.
    """
    return rows


# The wiring: W&B and files around the data logic.


def go(args: argparse.Namespace) -> None:
    run_name = f"{JOB_TYPE}: {Path(args.input_artifact).name} -> {args.output_artifact}"
    config = {
        "input": {"artifact": args.input_artifact},
        "output": step_io.dataset_output_config(args),
        "parameters": step_parameters(args),
    }
    with step_io.wandb_run(JOB_TYPE, run_name, config) as run:
        # Checked inside the run, so that a bad value shows in W&B as a failed run.
        step_io.check_dataset_output(args)
        with step_io.Outputs(run, args.output_dir) as outputs:
            output = outputs.claim(args.output_artifact, "output_artifact")
            path = step_io.fetch_input(run, "input_artifact", args.input_artifact)
            rows = step_io.read_csv(path, "input_artifact")
            result = transform(rows, parameters=step_parameters(args))
            outputs.write_csv(output, result)
            run.log({"rows_in": len(rows), "rows_out": len(result)})
            step_io.log_dataset_output(
                outputs,
                output,
                args,
                step=STEP_NAME,
                input=args.input_artifact,
                rows=len(result),
                columns=list(result.columns),
            )


if __name__ == "__main__":
    sys.exit(step_io.main(build_parser, go))
