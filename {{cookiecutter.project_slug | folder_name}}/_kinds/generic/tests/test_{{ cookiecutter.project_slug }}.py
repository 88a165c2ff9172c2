"""The generic step: its data logic alone, then the whole step offline."""

from __future__ import annotations

import pandas as pd
import pytest
from step_io.testing import (
    assert_failed_on_one_line,
    assert_the_run_failed,
    run_step,
)

import run


def step(*argv: str) -> int:
    """The exit code of ``python run.py ARGV``, run in this process."""
    return run_step(run, *argv)


def test_transform_passes_the_rows_through(listings):
    result = run.transform(listings, {})
    pd.testing.assert_frame_equal(result, listings)


def test_the_step_writes_and_logs_its_output(offline_wandb, listings):
    listings.to_csv("listings.csv", index=False)
    assert step("--input_artifact", "listings.csv", "--output_artifact", "out.csv") == 0
    written = pd.read_csv(offline_wandb / "outputs" / "out.csv")
    pd.testing.assert_frame_equal(written, listings)
    assert list(offline_wandb.glob("wandb_dir/wandb/offline-run-*"))


def test_an_empty_input_fails_and_writes_nothing(offline_wandb, recorded_runs, capsys):
    (offline_wandb / "empty.csv").write_text("")
    assert step("--input_artifact", "empty.csv") == 1
    error = assert_failed_on_one_line(
        capsys, "--input_artifact 'empty.csv'", "the file is empty"
    )
    assert_the_run_failed(recorded_runs, error)
    assert not (offline_wandb / "outputs").exists()


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("artifact", "../out.csv", "use 1 to 128 letters"),
        ("type", "wandb-run", "W&B reserves 'wandb-'"),
        ("dir", "listings.csv", "is a file, not a folder"),
    ],
)
def test_a_bad_output_option_fails_the_run_and_writes_nothing(
    offline_wandb, recorded_runs, listings, capsys, option, value, problem
):
    listings.to_csv("listings.csv", index=False)
    assert step("--input_artifact", "listings.csv", f"--output_{option}", value) == 1
    error = assert_failed_on_one_line(capsys, f"--output_{option} {value!r}: {problem}")
    assert_the_run_failed(recorded_runs, error)
    assert recorded_runs[0].config["output"][option] == value
    assert not (offline_wandb / "outputs").exists()
    files = [p.name for p in offline_wandb.iterdir() if p.is_file()]
    assert files == ["listings.csv"]
