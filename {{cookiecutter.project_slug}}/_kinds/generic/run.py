{%- set params = cookiecutter | step_parameters -%}
#!/usr/bin/env python
"""An MLflow step: read a CSV artifact, transform its rows, log the result to W&B.

README.md says what the step does and how to run it; MLproject declares its
parameters. Parsing the arguments imports nothing heavy, so ``--help`` and a bad
argument answer at once; pandas and wandb are imported only when the step runs.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import pandas as pd
    import wandb

# As answered when the step was generated (one per line, however long).
STEP_NAME, JOB_TYPE, STEP_DESCRIPTION = (
    {{ cookiecutter.project_name | py_str }},
    {{ cookiecutter.job_type | py_str }},
    {{ cookiecutter.short_description | py_str }},
)
# What W&B accepts in an artifact name or type. Refusing anything else up front also
# keeps the output file, named after the artifact, inside --output_dir.
ARTIFACT_NAME = re.compile(r"(?!\.+$)[A-Za-z0-9_.-]{1,128}")


class StepError(Exception):
    """Bad input or parameters: reported on one line, and the step exits 1."""


class OneLineErrorParser(argparse.ArgumentParser):
    """Report a bad argument on one line; ``--help`` still shows the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in ("true", "yes", "1"):
        return True
    if word in ("false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(description=STEP_DESCRIPTION.replace("%", "%%"))
{%- for p in params %}
    parser.add_argument(
        "--{{ p.name }}",
        type={{ p.py_type }},
{%- if p.required %}
        required=True,
{%- else %}
        default={{ p.py_default }},
{%- endif %}
        help={{ p.help | py_str }},
    )
{%- endfor %}
    return parser


def step_parameters(args: argparse.Namespace) -> dict[str, object]:
    """The step's own parameters, by name, as transform() receives them."""
{%- set own = params | rejectattr("builtin") | list %}
{%- if own %}
    return {
{%- for p in own %}
        "{{ p.name }}": args.{{ p.name }},
{%- endfor %}
    }
{%- else %}
    return {}
{%- endif %}


# The data logic: plain functions on DataFrames, testable without W&B or files.


def transform(rows: pd.DataFrame, parameters: dict[str, object]) -> pd.DataFrame:
    """A generic step passes the rows through unchanged.

    ``parameters`` holds the step's own parameters by name: this is the function to
    edit when the step is to do real work.
    """
    return rows


# The wiring: arguments, files and W&B around the data logic.


def one_line(err: BaseException) -> str:
    return " ".join(str(err).split())


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse bad parameters before a W&B run is started."""
    for option in ("output_artifact", "output_type"):
        value = getattr(args, option)
        if not ARTIFACT_NAME.fullmatch(value):
            raise StepError(
                f"--{option} {value!r}: use 1 to 128 letters, digits, '_', '-' or '.'"
            )
    if args.output_type.startswith("wandb-"):
        raise StepError(f"--output_type {args.output_type!r}: W&B reserves 'wandb-'")
    output_dir = Path(args.output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise StepError(f"--output_dir {args.output_dir!r}: is a file, not a folder")


def fetch_input(run: wandb.Run, reference: str) -> Path:
    """The input file: a local path as given, or a W&B artifact's file."""
    path = Path(reference)
    if path.is_file():
        return path
    if path.exists():
        raise StepError(f"--input_artifact {reference!r}: is a folder, not a file")
    if run.offline:
        raise StepError(
            f"--input_artifact {reference!r}: no such local file, and W&B is "
            "offline (WANDB_MODE=offline) so artifacts cannot be fetched; pass "
            "the path of a local CSV file instead"
        )
    import wandb

    try:
        return Path(run.use_artifact(reference).file())
    except (wandb.errors.Error, ValueError) as err:
        raise StepError(
            f"--input_artifact {reference!r}: no such local file, and W&B cannot "
            f"fetch it as an artifact: {one_line(err)}"
        ) from None


def read_rows(path: Path, option: str) -> pd.DataFrame:
    import pandas as pd

    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise StepError(f"--{option} {str(path)!r}: the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise StepError(
            f"--{option} {str(path)!r}: not a readable CSV file: {one_line(err)}"
        ) from None


def write_rows(rows: pd.DataFrame, path: Path) -> Path:
    """Write the CSV under a temporary name, then rename it into place, so a failed
    step never leaves a half-written output behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        rows.to_csv(partial, index=False)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def run_config(args: argparse.Namespace) -> dict[str, object]:
    return {
        "input": {"artifact": args.input_artifact},
        "output": {
            "artifact": args.output_artifact,
            "type": args.output_type,
            "description": args.output_description,
            "dir": args.output_dir,
        },
        "parameters": step_parameters(args),
    }


def log_output(run: wandb.Run, path: Path, args: argparse.Namespace, **metadata):
    import wandb

    artifact = wandb.Artifact(
        args.output_artifact,
        type=args.output_type,
        description=args.output_description,
        metadata=metadata,
    )
    artifact.add_file(str(path), name=path.name)
    run.log_artifact(artifact)


def go(args: argparse.Namespace) -> None:
    check_arguments(args)
    import wandb

    run_name = f"{JOB_TYPE}: {Path(args.input_artifact).name} -> {args.output_artifact}"
    run = wandb.init(job_type=JOB_TYPE, name=run_name, config=run_config(args))
    succeeded = False
    try:
        rows = read_rows(fetch_input(run, args.input_artifact), "input_artifact")
        result = transform(rows, step_parameters(args))
        output = write_rows(result, Path(args.output_dir) / args.output_artifact)
        run.log({"rows_in": len(rows), "rows_out": len(result)})
        log_output(
            run,
            output,
            args,
            step=STEP_NAME,
            input=args.input_artifact,
            rows=len(result),
            columns=list(result.columns),
        )
        succeeded = True
    finally:
        run.finish(exit_code=0 if succeeded else 1)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        go(args)
    except StepError as err:
        print(f"{Path(sys.argv[0]).name}: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
