"""The generic step: its data logic alone, then the whole step offline."""

from __future__ import annotations

import pandas as pd
from step_testing import assert_failed_on_one_line, step

import run


def test_transform_passes_the_rows_through(listings):
    result = run.transform(listings, {})
    pd.testing.assert_frame_equal(result, listings)


def test_the_step_writes_and_logs_its_output(offline_wandb, listings):
    listings.to_csv("listings.csv", index=False)
    assert step("--input_artifact", "listings.csv", "--output_artifact", "out.csv") == 0
    written = pd.read_csv(offline_wandb / "outputs" / "out.csv")
    pd.testing.assert_frame_equal(written, listings)
    assert list(offline_wandb.glob("wandb_dir/wandb/offline-run-*"))


def test_an_empty_input_fails_and_writes_nothing(offline_wandb, capsys):
    (offline_wandb / "empty.csv").write_text("")
    assert step("--input_artifact", "empty.csv") == 1
    assert_failed_on_one_line(
        capsys, "--input_artifact 'empty.csv'", "the file is empty"
    )
    assert not (offline_wandb / "outputs").exists()
