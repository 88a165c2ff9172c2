"""step_io: the wiring of an MLflow + W&B pipeline step, one versioned package.

A step's run.py imports it once, at its top, and keeps only its own logic::

    import step_io

    def go(args):
        with step_io.wandb_run(JOB_TYPE, run_name, config) as run:
            with step_io.Outputs(run, args.output_dir) as outputs:
                output = outputs.claim(args.output_artifact, "output_artifact")
                rows = step_io.read_csv(step_io.fetch_input(run, "input", args.input))
                outputs.write_csv(output, transform(rows))
                outputs.log(output, "dataset", "What the step made")

    if __name__ == "__main__":
        sys.exit(step_io.main(build_parser, go))

What only some steps need is in modules of its own, imported where it is used:
``step_io.blocks`` (a CSV a typed block at a time), ``step_io.models`` (MLflow model
folders), ``step_io.frames`` (DataFrames to CSV as pandas writes them) and
``step_io.testing`` (fixtures for a step's own tests). Importing ``step_io`` loads
neither pandas nor wandb: ``run.py --help`` answers at once.
"""

from step_io._core import (
    CONSOLE,
    Interrupted,
    OneLineErrorParser,
    Output,
    Outputs,
    StepError,
    check_artifact_name,
    check_artifact_type,
    check_dataset_output,
    check_output_dir,
    check_output_name,
    check_random_seed,
    check_regular_file,
    dataset_output_config,
    fetch_input,
    hold_signals,
    log_dataset_output,
    main,
    one_line,
    os_problem,
    parse_bool,
    read_csv,
    release_signals,
    start_run,
    stopping_on_signals,
    wandb_run,
)

__version__ = "0.2.0"

__all__ = [
    "CONSOLE",
    "Interrupted",
    "OneLineErrorParser",
    "Output",
    "Outputs",
    "StepError",
    "__version__",
    "check_artifact_name",
    "check_artifact_type",
    "check_dataset_output",
    "check_output_dir",
    "check_output_name",
    "check_random_seed",
    "check_regular_file",
    "dataset_output_config",
    "fetch_input",
    "hold_signals",
    "log_dataset_output",
    "main",
    "one_line",
    "os_problem",
    "parse_bool",
    "read_csv",
    "release_signals",
    "start_run",
    "stopping_on_signals",
    "wandb_run",
]
