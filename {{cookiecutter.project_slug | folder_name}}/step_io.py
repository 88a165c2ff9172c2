"""The wiring every step of the pipeline shares: arguments, input, output and W&B.

run.py keeps the step's own data logic and a thin ``go(args)``; this module holds what
surrounds it, the way a Kedro project keeps its nodes apart from their wiring. Nothing
heavy is imported at module level, so ``run.py --help`` answers at once.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import pandas as pd
    import wandb

# What W&B accepts in an artifact name or type. Refusing anything else up front also
# keeps an output, named after its artifact, inside its folder.
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


def one_line(err: BaseException) -> str:
    return " ".join(str(err).split())


def check_artifact_name(option: str, value: str) -> None:
    if not ARTIFACT_NAME.fullmatch(value):
        raise StepError(
            f"--{option} {value!r}: use 1 to 128 letters, digits, '_', '-' or '.'"
        )


def check_artifact_type(option: str, value: str) -> None:
    check_artifact_name(option, value)
    if value.startswith("wandb-"):
        raise StepError(f"--{option} {value!r}: W&B reserves 'wandb-'")


def check_output_dir(option: str, value: str) -> None:
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise StepError(f"--{option} {value!r}: is a file, not a folder")


def check_dataset_output(args: argparse.Namespace) -> None:
    """Refuse a bad --output_artifact, --output_type or --output_dir."""
    check_artifact_name("output_artifact", args.output_artifact)
    check_artifact_type("output_type", args.output_type)
    check_output_dir("output_dir", args.output_dir)


def dataset_output_config(args: argparse.Namespace) -> dict[str, str]:
    """The run config's ``output`` group, for a step that logs one dataset."""
    return {
        "artifact": args.output_artifact,
        "type": args.output_type,
        "description": args.output_description,
        "dir": args.output_dir,
    }


def start_run(job_type: str, name: str, config: dict) -> wandb.Run:
    import wandb

    return wandb.init(job_type=job_type, name=name, config=config)


@contextmanager
def finishing(run: wandb.Run) -> Iterator[wandb.Run]:
    """Finish the W&B run when the block ends: as failed if it raised, with the
    line a StepError prints kept in the run's summary, so the failed run says why."""
    try:
        yield run
    except BaseException as err:
        if isinstance(err, StepError):
            run.summary["error"] = str(err)
        run.finish(exit_code=1)
        raise
    run.finish()


def fetch_input(run: wandb.Run, option: str, reference: str, folder=False) -> Path:
    """The input: a local path as given, or the file (or folder) of a W&B artifact."""
    path = Path(reference)
    if path.exists():
        if path.is_dir() != folder:
            kind = "a folder" if folder else "a file"
            raise StepError(f"--{option} {reference!r}: is not {kind}")
        return path
    if run.offline:
        raise StepError(
            f"--{option} {reference!r}: no such local path, and W&B is offline "
            "(WANDB_MODE=offline) so artifacts cannot be fetched; pass a local path "
            "instead"
        )
    import wandb

    try:
        artifact = run.use_artifact(reference)
        return Path(artifact.download() if folder else artifact.file())
    except (wandb.errors.Error, ValueError) as err:
        raise StepError(
            f"--{option} {reference!r}: no such local path, and W&B cannot fetch "
            f"it as an artifact: {one_line(err)}"
        ) from None


def read_csv(path: Path, option: str, columns: dict[str, str] | None = None):
    """Read a CSV; ``columns`` maps the columns the step needs to their kind
    ("number", "text" or "any"), checked so a bad file fails on one line."""
    import pandas as pd

    try:
        rows = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise StepError(f"--{option} {str(path)!r}: the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise StepError(
            f"--{option} {str(path)!r}: not a readable CSV file: {one_line(err)}"
        ) from None
    columns = columns or {}
    missing = [name for name in columns if name not in rows.columns]
    if missing:
        raise StepError(
            f"--{option} {str(path)!r}: missing column(s) " + ", ".join(missing)
        )
    not_numbers = [
        name
        for name, kind in columns.items()
        if kind == "number" and not pd.api.types.is_numeric_dtype(rows[name])
    ]
    if not_numbers:
        raise StepError(
            f"--{option} {str(path)!r}: column(s) "
            + ", ".join(not_numbers)
            + " should hold numbers"
        )
    if rows.empty:
        raise StepError(f"--{option} {str(path)!r}: the file has no rows")
    return rows


def write_csv(rows: pd.DataFrame, path: Path) -> Path:
    """Write under a temporary name, then rename into place, so a failed step never
    leaves a half-written file behind."""
    return write_atomically(path, lambda partial: to_csv(rows, partial))


def to_csv(rows: pd.DataFrame, path: Path) -> None:
    """pyarrow's CSV writer: several times faster than ``DataFrame.to_csv`` on large
    frames, quoting only what needs it, as pandas does. Dates parsed from the input
    (midnight timestamps) are written back as plain dates."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv

    try:
        table = pa.Table.from_pandas(rows, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        rows.to_csv(path, index=False)  # columns of Python objects arrow cannot type
        return
    for index, field in enumerate(table.schema):
        column = table.column(index)
        if pa.types.is_timestamp(field.type) and field.type.tz is None:
            dates = pc.cast(column, pa.date32())
            midnight = pc.all(pc.equal(pc.cast(dates, field.type), column))
            if midnight.as_py() is not False:
                table = table.set_column(index, field.name, dates)
    csv.write_csv(table, path, csv.WriteOptions(quoting_style="needed"))


def write_atomically(path: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(partial)`` for a temporary path beside ``path`` (a file or a
    folder), then rename the result over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    remove(partial)
    try:
        write(partial)
        if path.is_dir():
            remove(path)  # a rename cannot replace a folder that has files
        partial.replace(path)
    finally:
        remove(partial)
    return path


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def log_artifact(
    run: wandb.Run, path: Path, name: str, type: str, description: str, **metadata
) -> None:
    """Log ``path`` (a file or a folder) as a new version of a W&B artifact."""
    import wandb

    artifact = wandb.Artifact(
        name, type=type, description=description, metadata=metadata
    )
    if path.is_dir():
        artifact.add_dir(str(path))
    else:
        # The file is final: W&B may hash it in place instead of copying it to a
        # staging folder first, which costs a full copy of a large output.
        artifact.add_file(str(path), name=path.name, policy="immutable")
    run.log_artifact(artifact)


def log_dataset_output(
    run: wandb.Run, path: Path, args: argparse.Namespace, **metadata
) -> None:
    """Log ``path`` as the artifact --output_artifact, --output_type and
    --output_description name, for a step that logs one dataset."""
    log_artifact(
        run,
        path,
        args.output_artifact,
        args.output_type,
        args.output_description,
        **metadata,
    )


def main(
    build_parser: Callable[[], argparse.ArgumentParser],
    go: Callable[[argparse.Namespace], None],
    argv: list[str] | None = None,
) -> int:
    """Parse the arguments and run ``go``; a StepError becomes one line and exit 1."""
    args = build_parser().parse_args(argv)
    try:
        go(args)
    except StepError as err:
        print(f"{Path(sys.argv[0]).name}: error: {err}", file=sys.stderr)
        return 1
    return 0
