#!/usr/bin/env python
"""An MLflow step: log the raw listings, from a local file or an http(s) URL, as the
pipeline's first W&B artifact, so that every later step can fetch it by reference.
README.md says how to run it; the package step_io holds the wiring steps share."""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Self

import step_io

{% include "identity.py.j2" %}

{% include "arguments.py.j2" %}

URL_SCHEMES = ("http://", "https://")
CHUNK_BYTES = 1 << 20
# A server that sends nothing for this long is taken for gone.
TIMEOUT_SECONDS = 60

# The data logic: plain functions on files, testable without W&B.


def fetch(
    source: str, target: Path, parameters: dict[str, object] | None = None
) -> None:
    """The raw data at ``target``: downloaded from an http(s) URL, or copied from a
    local file. ``parameters``, the step's own parameters by name."""
    if is_url(source):
        download(source, target)
        return
    path = Path(source)
    if not path.exists():
        raise step_io.StepError(f"--sample {source!r}: no such file or URL")
    step_io.check_regular_file("sample", path, source)
    shutil.copyfile(path, target)


def is_url(source: str) -> bool:
    return source.lower().startswith(URL_SCHEMES)


def download(url: str, target: Path) -> int:
    """Write what ``url`` serves to ``target``; the bytes written. A StepError on an
    HTTP error, a server that cannot be reached or a download cut short."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            with (
                target.open("wb") as file,
                Progress(f"downloading {Path(url).name or url}") as progress,
            ):
                copied = copy_chunks(response, file, total, progress)
    except urllib.error.HTTPError as err:
        raise step_io.StepError(
            f"--sample {url!r}: the server answered {err.code} {err.reason}"
        ) from None
    except urllib.error.URLError as err:
        reason = err.reason
        problem = step_io.os_problem(reason) if isinstance(reason, OSError) else reason
        raise step_io.StepError(
            f"--sample {url!r}: cannot download it: {problem}"
        ) from None
    except TimeoutError:
        raise step_io.StepError(
            f"--sample {url!r}: the server sent nothing for {TIMEOUT_SECONDS} s"
        ) from None
    if total is not None and copied != total:
        raise step_io.StepError(
            f"--sample {url!r}: the download ended after {copied} of {total} bytes"
        )
    return copied


def copy_chunks(
    source: IO[bytes],
    target: IO[bytes],
    total: int | None,
    report: Callable[[int, int | None], object],
) -> int:
    """Copy ``source`` to ``target`` a chunk at a time, calling ``report`` with the
    bytes copied so far (and ``total``, when it is known); the bytes copied."""
    copied = 0
    while chunk := source.read(CHUNK_BYTES):
        target.write(chunk)
        copied += len(chunk)
        report(copied, total)
    return copied


class Progress:
    """A progress bar on stderr, drawn over itself, in a terminal only (in a log, a
    bar is only noise); its line is ended however the copy ends."""

    WIDTH = 30

    def __init__(self, label: str, stream: IO[str] = sys.stderr):
        self.label, self.stream = label, stream
        self.shown = stream.isatty()

    def __call__(self, copied: int, total: int | None) -> None:
        if not self.shown:
            return
        if total:
            done = min(copied / total, 1.0)
            bar = "#" * round(done * self.WIDTH)
            text = f"[{bar:<{self.WIDTH}}] {done:4.0%} of {total / 1e6:.1f} MB"
        else:
            text = f"{copied / 1e6:.1f} MB"
        self.stream.write(f"\r{self.label}: {text}")
        self.stream.flush()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *failure: object) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


# The wiring: W&B and files around the data logic.


def go(args: argparse.Namespace) -> None:
    origin = args.sample if is_url(args.sample) else Path(args.sample).name
    run_name = f"{JOB_TYPE}: {origin} -> {args.output_artifact}"
    config = {
        "input": {"sample": args.sample},
        "output": step_io.dataset_output_config(args),
        "parameters": step_parameters(args),
    }
    with step_io.wandb_run(JOB_TYPE, run_name, config) as run:
        # Checked inside the run, so that a bad value shows in W&B as a failed run.
        step_io.check_dataset_output(args)
        with step_io.Outputs(run, args.output_dir) as outputs:
            output = outputs.claim(args.output_artifact, "output_artifact")
            parameters = step_parameters(args)
            outputs.write(output, lambda to: fetch(args.sample, to, parameters))
            # What goes down the chain must be a CSV the next step can read.
            rows = step_io.read_csv(output.partial, "sample", shown=args.sample)
            counts = {"rows": len(rows), "columns": len(rows.columns)}
            run.log(counts)
            metadata = {"source": args.sample, **counts}
            metadata["column_names"] = list(rows.columns)
            step_io.log_dataset_output(outputs, output, args, STEP_NAME, **metadata)


if __name__ == "__main__":
    sys.exit(step_io.main(build_parser, go))
