#!/usr/bin/env python
"""An MLflow step: read a CSV artifact, transform its rows, log the result to W&B.
README.md says how to run it; the package step_io holds the wiring steps share."""

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

# The data logic: a plain function on a DataFrame, testable without W&B or files.


def transform(rows: pd.DataFrame, parameters: dict[str, object]) -> pd.DataFrame:
    """Return the rows to log: for now, ``rows`` unchanged. Edit this function for
    real work; ``parameters`` holds the step's own parameters by name. ``rows`` is
    the whole file as ``pandas.read_csv`` reads it; where each row is decided on its
    own, a file of any size can stream through a block at a time instead, each block
    typed as the whole file (step_io.blocks: read_csv_blocks, map_blocks)."""
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
