"""The wiring shared by every step: arguments, inputs, outputs, W&B runs."""

from __future__ import annotations

import argparse
import os
import signal
import time
from pathlib import Path

import pandas as pd
import pytest
from step_testing import FakeOnlineRun

import step_io
from step_io import StepError


class OfflineRun:
    offline = True

    def use_artifact(self, reference):
        raise TypeError("Cannot use artifact when in offline mode.")


@pytest.mark.parametrize("text", ["true", "Yes", "1", " TRUE "])
def test_parse_bool_true(text):
    assert step_io.parse_bool(text) is True


@pytest.mark.parametrize("text", ["false", "No", "0"])
def test_parse_bool_false(text):
    assert step_io.parse_bool(text) is False


def test_parse_bool_refuses_anything_else():
    with pytest.raises(argparse.ArgumentTypeError, match="expected true or false"):
        step_io.parse_bool("maybe")


@pytest.mark.parametrize("name", ["clean_sample.csv", "model-v1", "a.b_c"])
def test_good_artifact_names_pass(name):
    step_io.check_artifact_name("output_artifact", name)


@pytest.mark.parametrize("name", ["", "..", "a/b", "../x", "a b", "x" * 129])
def test_bad_artifact_names_are_refused(name):
    with pytest.raises(StepError, match="--output_artifact"):
        step_io.check_artifact_name("output_artifact", name)


def test_reserved_artifact_types_are_refused():
    with pytest.raises(StepError, match="W&B reserves"):
        step_io.check_artifact_type("output_type", "wandb-history")


def test_a_local_file_is_used_as_it_is(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a\n1\n")
    assert step_io.fetch_input(OfflineRun(), "input", str(path)) == path


def test_a_folder_is_refused_where_a_file_is_wanted(tmp_path):
    with pytest.raises(StepError, match="is not a file"):
        step_io.fetch_input(OfflineRun(), "input", str(tmp_path))


def test_a_reference_offline_says_how_to_go_on():
    with pytest.raises(StepError, match="W&B is offline .* pass a local path"):
        step_io.fetch_input(OfflineRun(), "input", "raw_data.csv:latest")


def test_a_reference_online_is_fetched_from_wandb(tmp_path):
    path = tmp_path / "raw.csv"
    run = FakeOnlineRun({"raw_data.csv:latest": path})
    assert step_io.fetch_input(run, "input", "raw_data.csv:latest") == path
    assert run.used == ["raw_data.csv:latest"]


def test_a_missing_reference_online_fails_on_one_line():
    run = FakeOnlineRun({})
    with pytest.raises(StepError, match="W&B cannot fetch it as an artifact"):
        step_io.fetch_input(run, "input", "missing.csv:latest")


@pytest.mark.parametrize(
    ("content", "columns", "problem"),
    [
        ("", None, "the file is empty"),
        ("a,b\n", None, "the file has no rows"),
        ("a,b\n1,2\n", {"price": "number"}, "missing column(s) price"),
        ("price\nfree\n", {"price": "number"}, "price should hold numbers"),
    ],
)
def test_bad_csv_files_fail_on_one_line(tmp_path, content, columns, problem):
    path = tmp_path / "in.csv"
    path.write_text(content)
    with pytest.raises(StepError) as error:
        step_io.read_csv(path, "input", columns)
    assert problem in str(error.value)
    assert "\n" not in str(error.value)


def test_csv_round_trip_keeps_awkward_titles(tmp_path, listings):
    path = tmp_path / "listings.csv"
    step_io.to_csv(listings, path)
    pd.testing.assert_frame_equal(step_io.read_csv(path, "input"), listings)


class StagingRun:
    """Where a real W&B run keeps its files; log_artifact is not called here."""

    offline = True
    dir = "run/files"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working folder: --output_dir out is written there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_outputs() -> step_io.Outputs:
    return step_io.Outputs(StagingRun(), "out")


def fail_after_writing(rows, *names):
    """Write ``rows`` as each of ``names`` under out/, then fail: what a run that
    failed after writing leaves."""
    with pytest.raises(StepError), run_outputs() as outputs:
        for name in names:
            outputs.write_csv(outputs.claim(name, "output_artifact"), rows)
        raise StepError("bad data")


def test_a_failed_run_leaves_the_old_file_and_nothing_else(workdir, listings):
    folder = workdir / "out"
    folder.mkdir()
    (folder / "a.csv").write_text("old\n")
    fail_after_writing(listings, "a.csv", "b.csv")
    assert [p.name for p in folder.iterdir()] == ["a.csv"]
    assert (folder / "a.csv").read_text() == "old\n"


def test_a_failed_run_removes_the_folder_it_created(workdir, listings):
    fail_after_writing(listings, "a.csv")
    assert not (workdir / "out").exists()


def test_a_full_disk_is_one_line_naming_the_folder(workdir):
    def no_space(partial):
        partial.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(StepError) as error, run_outputs() as outputs:
        outputs.write(outputs.claim("a.csv", "output_artifact"), no_space)
    assert str(error.value) == (
        "--output_dir 'out': cannot write a.csv: No space left on device"
    )
    assert not (workdir / "out").exists()


@pytest.mark.parametrize("name", ["important", "tests"])
def test_a_csv_output_never_replaces_a_folder(workdir, name):
    kept = workdir / "out" / name / "keep.txt"
    kept.parent.mkdir(parents=True)
    kept.write_text("mine")
    refused = f"--output_artifact '{name}': out/{name} is a folder"
    with pytest.raises(StepError, match=refused), run_outputs() as outputs:
        outputs.claim(name, "output_artifact")
    assert kept.read_text() == "mine"
    assert sorted(p.name for p in (workdir / "out").iterdir()) == [name]


def test_a_model_export_replaces_only_an_earlier_model_export(workdir):
    earlier = workdir / "out" / "model"
    earlier.mkdir(parents=True)
    (earlier / "MLmodel").write_text("flavors: {}\n")
    with run_outputs() as outputs:
        model = outputs.claim("model", "output_artifact", is_folder=True)
        outputs.write(model, lambda partial: partial.mkdir())
    assert list(earlier.iterdir()) == []  # replaced by the new (empty) export
    (earlier / "notes.txt").write_text("mine")
    refused = "not an earlier model export"
    with pytest.raises(StepError, match=refused), run_outputs() as outputs:
        outputs.claim("model", "output_artifact", is_folder=True)
    assert (earlier / "notes.txt").read_text() == "mine"


def test_a_second_run_writing_the_same_output_is_refused(workdir):
    refused = "another run is writing a.csv there now"
    with run_outputs() as first:
        output = first.claim("a.csv", "output_artifact")
        with pytest.raises(StepError, match=refused), run_outputs() as second:
            second.claim("a.csv", "output_artifact")
        # The refused run leaves the first one's lock alone.
        assert (workdir / "out" / ".a.csv.lock").exists()
        first.write(output, lambda partial: partial.write_text("new\n"))
    assert [p.name for p in (workdir / "out").iterdir()] == ["a.csv"]


def test_what_a_killed_run_left_is_cleared_and_the_old_output_put_back(workdir):
    folder = workdir / "out"
    folder.mkdir()
    (folder / ".a.csv.partial").write_text("half")
    (folder / ".a.csv.previous").write_text("old\n")  # moved aside, not replaced
    with pytest.raises(StepError), run_outputs() as outputs:
        outputs.claim("a.csv", "output_artifact")
        raise StepError("bad data")
    assert [p.name for p in folder.iterdir()] == ["a.csv"]
    assert (folder / "a.csv").read_text() == "old\n"


@pytest.mark.parametrize("folder", [".", "tests", "wandb/latest-run"])
def test_outputs_never_go_to_the_step_s_own_folders(folder):
    path = step_io.STEP_DIR / folder
    with pytest.raises(StepError, match="the step's own folder"):
        step_io.check_output_dir("output_dir", str(path))


def test_an_output_name_starting_with_a_dot_is_refused():
    with pytest.raises(StepError, match="starting with '.'"):
        step_io.check_output_name("output_artifact", ".bashrc")


def test_an_input_that_is_not_a_regular_file_is_refused_at_once(tmp_path):
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    with pytest.raises(StepError, match="is not a regular file"):
        step_io.fetch_input(OfflineRun(), "input", str(fifo))


def test_an_artifact_describes_a_link_no_later_run_replaces(tmp_path):
    import wandb

    output = tmp_path / "out.csv"
    output.write_text("first\n")
    artifact = wandb.Artifact("out.csv", type="dataset")
    step_io.add_logged_copy(artifact, output, tmp_path / "logged")
    (entry,) = artifact.manifest.entries.values()
    assert Path(entry.local_path) == tmp_path / "logged" / "out.csv"
    assert os.path.samefile(entry.local_path, output)
    # The next run renames its own file over the output: the link keeps the bytes.
    replacement = tmp_path / ".out.csv.partial"
    replacement.write_text("second\n")
    replacement.replace(output)
    assert Path(entry.local_path).read_text() == "first\n"


def test_a_signal_becomes_interrupted_and_the_handlers_come_back():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(step_io.Interrupted, match="SIGTERM"):  # noqa: SIM117
        with step_io.stopping_on_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises long before this ends
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_signal_while_held_waits_for_release():
    with step_io.stopping_on_signals():
        step_io.hold_signals()
        os.kill(os.getpid(), signal.SIGINT)
        with pytest.raises(step_io.Interrupted, match="SIGINT"):
            step_io.release_signals()


def test_main_turns_a_step_error_into_one_line_and_exit_1(capsys):
    def go(args):
        raise StepError("--input 'x': the file is empty")

    def build_parser():
        return step_io.OneLineErrorParser(prog="run.py")

    assert step_io.main(build_parser, go, []) == 1
    assert capsys.readouterr().err.endswith("error: --input 'x': the file is empty\n")


@pytest.mark.parametrize(
    ("failure", "code", "line"),
    [
        (step_io.Interrupted(signal.SIGTERM), 143, "interrupted by SIGTERM"),
        (step_io.Interrupted(signal.SIGINT), 130, "interrupted by SIGINT"),
        (PermissionError(13, "Permission denied", "x.csv"), 1, "'x.csv': Permission"),
    ],
)
def test_main_turns_a_signal_or_os_error_into_one_line(capsys, failure, code, line):
    def go(args):
        raise failure

    def build_parser():
        return step_io.OneLineErrorParser(prog="run.py")

    assert step_io.main(build_parser, go, []) == code
    error = capsys.readouterr().err
    assert len(error.splitlines()) == 1 and line in error


class FinishedRun:
    def __init__(self):
        self.summary, self.exit_code = {}, None

    def finish(self, exit_code=0):
        self.exit_code = exit_code


def test_a_failed_block_finishes_the_run_as_failed():
    run = FinishedRun()
    with pytest.raises(StepError), step_io.finishing(run):
        raise StepError("bad")
    assert run.exit_code == 1
    with step_io.finishing(run):
        pass
    assert run.exit_code == 0


def test_a_step_error_is_kept_in_the_summary_of_the_failed_run():
    run = FinishedRun()
    with pytest.raises(StepError), step_io.finishing(run):
        raise StepError("--min_price '-5.0': must be 0 or more")
    assert run.summary == {"error": "--min_price '-5.0': must be 0 or more"}
    assert run.exit_code == 1


def test_any_other_failure_finishes_the_run_as_failed_with_no_error_line():
    run = FinishedRun()
    with pytest.raises(KeyboardInterrupt), step_io.finishing(run):
        raise KeyboardInterrupt
    assert run.summary == {}
    assert run.exit_code == 1


def test_parsed_dates_are_written_back_as_plain_dates(tmp_path):
    rows = pd.DataFrame(
        {
            "last_review": pd.to_datetime(["2019-05-21", None, "2018-10-19"]),
            "seen": pd.to_datetime(["2019-05-21 10:30", None, "2018-10-19 00:00"]),
        }
    )
    path = tmp_path / "dates.csv"
    step_io.to_csv(rows, path)
    lines = path.read_text().splitlines()
    assert lines[1].startswith("2019-05-21,")
    assert lines[2].startswith(",")
    assert "10:30" in lines[1]  # a time of day is kept


def test_columns_arrow_cannot_type_are_still_written(tmp_path):
    rows = pd.DataFrame({"mixed": [1, "two", {"three": 3}]})
    path = tmp_path / "mixed.csv"
    step_io.to_csv(rows, path)
    assert path.read_text().splitlines() == ["mixed", "1", "two", "{'three': 3}"]
