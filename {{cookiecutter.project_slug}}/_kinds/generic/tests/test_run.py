"""The generic step: its data logic alone, then the whole step offline."""

from __future__ import annotations

import pandas as pd

import run


def test_transform_passes_the_rows_through(listings):
    result = run.transform(listings, {})
    pd.testing.assert_frame_equal(result, listings)


def test_the_step_writes_and_logs_its_output(offline_wandb, listings):
    listings.to_csv("listings.csv", index=False)
    argv = ["--input_artifact", "listings.csv", "--output_artifact", "out.csv"]
    argv += run_required_parameters()
    assert run.step_io.main(run.build_parser, run.go, argv) == 0
    written = pd.read_csv(offline_wandb / "outputs" / "out.csv")
    pd.testing.assert_frame_equal(written, listings)
    assert list(offline_wandb.glob("wandb_dir/wandb/offline-run-*"))


def test_an_empty_input_fails_and_writes_nothing(offline_wandb, capsys):
    (offline_wandb / "empty.csv").write_text("")
    argv = ["--input_artifact", "empty.csv", *run_required_parameters()]
    assert run.step_io.main(run.build_parser, run.go, argv) == 1
    assert "the file is empty" in capsys.readouterr().err
    assert not (offline_wandb / "outputs").exists()


def run_required_parameters() -> list[str]:
    """A value for each required parameter the step was generated with."""
    parser = run.build_parser()
    argv = []
    for action in parser._actions:
        if action.required and action.dest != "input_artifact":
            argv += [action.option_strings[0], "1"]
    return argv
