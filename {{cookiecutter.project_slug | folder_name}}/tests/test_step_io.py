"""The wiring shared by every step: arguments, inputs, outputs, W&B runs."""

from __future__ import annotations

import argparse

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
    path = step_io.write_csv(listings, tmp_path / "out" / "listings.csv")
    pd.testing.assert_frame_equal(step_io.read_csv(path, "input"), listings)
    assert sorted(p.name for p in path.parent.iterdir()) == ["listings.csv"]


def test_a_failed_write_leaves_the_old_file_and_no_partial(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def explode(partial):
        partial.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        step_io.write_atomically(target, explode)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_main_turns_a_step_error_into_one_line_and_exit_1(capsys):
    def go(args):
        raise StepError("--input 'x': the file is empty")

    def build_parser():
        return step_io.OneLineErrorParser(prog="run.py")

    assert step_io.main(build_parser, go, []) == 1
    assert capsys.readouterr().err.endswith("error: --input 'x': the file is empty\n")


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
    path = step_io.write_csv(rows, tmp_path / "dates.csv")
    lines = path.read_text().splitlines()
    assert lines[1].startswith("2019-05-21,")
    assert lines[2].startswith(",")
    assert "10:30" in lines[1]  # a time of day is kept


def test_columns_arrow_cannot_type_are_still_written(tmp_path):
    rows = pd.DataFrame({"mixed": [1, "two", {"three": 3}]})
    path = step_io.write_csv(rows, tmp_path / "mixed.csv")
    assert path.read_text().splitlines() == ["mixed", "1", "two", "{'three': 3}"]
