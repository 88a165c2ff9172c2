"""The wiring every step shares: arguments, inputs, outputs, W&B runs."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import step_io
from step_io import StepError, _core
from step_io.frames import to_csv
from step_io.testing import FakeOnlineRun


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


def test_a_reference_with_wandb_disabled_says_how_to_go_on():
    import wandb

    # WANDB_MODE=disabled: wandb.init gives a run whose use_artifact returns None.
    run = wandb.init(mode="disabled")
    with pytest.raises(StepError, match="W&B is disabled .* pass a local path"):
        step_io.fetch_input(run, "input", "raw_data.csv:latest")


# W&B reads its settings once per process: this one starts its own.
START_WITH_BOGUS_MODE = """
import step_io
try:
    step_io.start_run("check", "a run that cannot start", {})
except step_io.StepError as err:
    print(err)
"""


def test_a_setting_w_and_b_refuses_is_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", START_WITH_BOGUS_MODE],
        cwd=tmp_path,
        env={**os.environ, "WANDB_MODE": "bogus"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert result.stdout.startswith("W&B cannot start the run: ")
    assert "bogus" in result.stdout
    assert result.stdout.count("\n") == 1


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
    to_csv(listings, path)
    pd.testing.assert_frame_equal(step_io.read_csv(path, "input"), listings)


class StagingRun:
    """Stands in for the W&B run around the outputs: its folder, where a real run
    keeps its files, and what was logged to it. No W&B run is needed to test the
    files; the kinds' own tests log to real offline runs."""

    offline = True
    dir = "wandb/run/files"

    def __init__(self):
        self.logged, self.finished = [], False

    def log_artifact(self, artifact):
        self.logged.append(artifact)

    def finish(self, exit_code=0):
        self.finished = True


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working folder: --output_dir out is written there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_outputs(run=None) -> step_io.Outputs:
    return step_io.Outputs(run or StagingRun(), "out")


def write_text(text: str, *names: str, fail=False, model=False) -> StagingRun:
    """A run that writes ``text`` as each of ``names`` under out/ and logs them,
    or fails once it has written them."""
    run = StagingRun()

    def write(partial: Path) -> None:
        if model:
            partial.mkdir()
            (partial / "MLmodel").write_text(text)
        else:
            partial.write_text(text)

    with run_outputs(run) as outputs:
        for name in names:
            output = outputs.claim(name, "output_artifact", is_folder=model)
            outputs.write(output, write)
            outputs.log(output, "dataset", "a test output")
        if fail:
            raise StepError("bad data")
    return run


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_run_puts_its_outputs_in_place_logs_them_and_finishes(workdir):
    run = write_text("first\n", "a.csv", "b.csv")
    assert listing(workdir / "out") == [".a.csv.lock", ".b.csv.lock", "a.csv", "b.csv"]
    assert [artifact.name for artifact in run.logged] == ["a.csv", "b.csv"]
    assert run.finished


def test_a_failed_run_leaves_the_earlier_output_and_nothing_else(workdir):
    write_text("first\n", "a.csv")
    with pytest.raises(StepError):
        write_text("second\n", "a.csv", "b.csv", fail=True)
    assert listing(workdir / "out") == [".a.csv.lock", "a.csv"]
    assert (workdir / "out" / "a.csv").read_text() == "first\n"


def test_a_failed_run_removes_the_folder_it_created(workdir):
    with pytest.raises(StepError):
        write_text("first\n", "a.csv", fail=True)
    assert not (workdir / "out").exists()


def test_a_run_w_and_b_cannot_finish_leaves_no_output(workdir):
    class FullRun(StagingRun):
        def finish(self, exit_code=0):
            raise OSError(28, "No space left on device")

    refused = "W&B cannot record the run in .*wandb"
    with pytest.raises(StepError, match=refused), run_outputs(FullRun()) as outputs:
        outputs.write_csv(outputs.claim("a.csv", "output_artifact"), pd.DataFrame())
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


@pytest.mark.parametrize(
    ("make", "found"),
    [
        (lambda path: path.mkdir(), "a folder"),
        (lambda path: path.symlink_to("elsewhere.csv"), "a link"),
        (lambda path: os.mkfifo(path), "not a regular file"),
        (lambda path: path.write_text("mine"), "a file this step did not write"),
    ],
    ids=["folder", "link", "fifo", "someone-else-s-file"],
)
def test_an_output_replaces_nothing_the_step_did_not_write(workdir, make, found):
    (workdir / "out").mkdir()
    make(workdir / "out" / "a.csv")
    before = listing(workdir / "out")
    refused = f"--output_artifact 'a.csv': out/a.csv is {found}"
    with pytest.raises(StepError, match=refused):
        write_text("new\n", "a.csv")
    assert listing(workdir / "out") == before


def test_an_output_changed_since_the_step_wrote_it_is_not_replaced(workdir):
    write_text("first\n", "a.csv")
    (workdir / "out" / "a.csv").write_text("edited by hand\n")
    with pytest.raises(StepError, match="did not write, or one changed since"):
        write_text("second\n", "a.csv")
    assert (workdir / "out" / "a.csv").read_text() == "edited by hand\n"


def test_a_model_export_replaces_only_the_export_the_step_wrote(workdir):
    write_text("first", "model", model=True)
    write_text("second", "model", model=True)
    assert (workdir / "out" / "model" / "MLmodel").read_text() == "second"
    look_alike = workdir / "out" / "look_alike"
    look_alike.mkdir()
    (look_alike / "MLmodel").write_text("not one of ours")
    (look_alike / "notes.txt").write_text("mine")
    with pytest.raises(StepError, match="not an earlier model export|did not write"):
        write_text("third", "look_alike", model=True)
    assert (look_alike / "notes.txt").read_text() == "mine"


def test_a_second_run_writing_the_same_output_is_refused(workdir):
    refused = "another run is writing a.csv there now"
    with run_outputs() as first:
        output = first.claim("a.csv", "output_artifact")
        with pytest.raises(StepError, match=refused), run_outputs() as second:
            second.claim("a.csv", "output_artifact")
        # The refused run leaves the first one's lock alone.
        assert (workdir / "out" / ".a.csv.lock").exists()
        first.write(output, lambda partial: partial.write_text("new\n"))
    assert listing(workdir / "out") == [".a.csv.lock", "a.csv"]


def test_what_a_killed_run_left_is_cleared_and_the_old_output_put_back(workdir):
    folder = workdir / "out"
    folder.mkdir()
    (folder / ".a.csv.partial").write_text("half")
    (folder / ".a.csv.previous").write_text("old\n")  # moved aside, not replaced
    with pytest.raises(StepError):
        write_text("new\n", "a.csv", fail=True)
    assert listing(folder) == [".a.csv.lock", "a.csv"]
    assert (folder / "a.csv").read_text() == "old\n"


def test_a_leftover_name_holding_something_else_is_refused(workdir):
    (workdir / "out" / ".a.csv.partial").mkdir(parents=True)
    with pytest.raises(StepError, match=r"\.a\.csv\.partial there is a folder"):
        write_text("new\n", "a.csv")
    assert (workdir / "out" / ".a.csv.partial").is_dir()


def test_a_lock_that_is_a_link_is_never_followed(workdir):
    (workdir / "out").mkdir()
    (workdir / "out" / ".a.csv.lock").symlink_to(workdir / "created_by_the_step")
    with pytest.raises(StepError, match="cannot write a.csv there"):
        write_text("new\n", "a.csv")
    assert not (workdir / "created_by_the_step").exists()
    assert (workdir / "out" / ".a.csv.lock").is_symlink()


def test_outputs_never_go_into_w_and_b_s_folder(workdir):
    refused = pytest.raises(StepError, match="inside W&B's folder")
    with refused, step_io.Outputs(StagingRun(), "wandb/offline-run-1"):
        pass


@pytest.mark.parametrize("folder", [".", "tests", "wandb/latest-run"])
def test_outputs_never_go_to_the_step_s_own_folders(folder):
    path = _core.step_dir() / folder
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


def test_an_input_folder_holding_a_fifo_is_refused_at_once(tmp_path):
    (tmp_path / "model").mkdir()
    os.mkfifo(tmp_path / "model" / "model.pkl")
    with pytest.raises(StepError, match="'model.pkl' in it is not a regular file"):
        step_io.fetch_input(OfflineRun(), "model", str(tmp_path / "model"), True)


def test_an_artifact_describes_a_link_no_later_run_replaces(tmp_path):
    import wandb

    output = tmp_path / "out.csv"
    output.write_text("first\n")
    artifact = wandb.Artifact("out.csv", type="dataset")
    _core.add_logged_copy(artifact, output, tmp_path / "logged")
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
    with pytest.raises(StepError), _core.finishing(run):
        raise StepError("bad")
    assert run.exit_code == 1
    run = FinishedRun()
    with _core.finishing(run):
        pass
    assert run.exit_code == 0


def test_a_run_w_and_b_cannot_finish_still_reports_the_first_error():
    class BrokenRun(FinishedRun):
        def finish(self, exit_code=0):
            raise OSError(28, "No space left on device")

    with pytest.raises(StepError, match="bad data"), _core.finishing(BrokenRun()):
        raise StepError("bad data")


def test_a_step_error_is_kept_in_the_summary_of_the_failed_run():
    run = FinishedRun()
    with pytest.raises(StepError), _core.finishing(run):
        raise StepError("--min_price '-5.0': must be 0 or more")
    assert run.summary == {"error": "--min_price '-5.0': must be 0 or more"}
    assert run.exit_code == 1


def test_any_other_failure_finishes_the_run_as_failed_with_no_error_line():
    run = FinishedRun()
    with pytest.raises(KeyboardInterrupt), _core.finishing(run):
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
    to_csv(rows, path)
    lines = path.read_text().splitlines()
    assert lines[1].startswith("2019-05-21,")
    assert lines[2].startswith(",")
    assert "10:30" in lines[1]  # a time of day is kept


def test_columns_arrow_cannot_type_are_still_written(tmp_path):
    rows = pd.DataFrame({"mixed": [1, "two", {"three": 3}]})
    path = tmp_path / "mixed.csv"
    to_csv(rows, path)
    assert path.read_text().splitlines() == ["mixed", "1", "two", "{'three': 3}"]


def test_an_artifact_s_file_is_hashed_a_block_at_a_time_to_w_and_b_s_digest(
    tmp_path, monkeypatch
):
    import wandb
    from wandb.sdk.lib import hashutil

    path = tmp_path / "out.csv"
    path.write_bytes(os.urandom(3 << 20))
    expected = hashutil.md5_file_b64(path)
    artifact = _core.hashing_in_blocks(wandb.Artifact("out.csv", type="dataset"))

    def whole_file_in_memory(*args):
        raise AssertionError("W&B's own hashing maps the whole file into memory")

    monkeypatch.setattr(hashutil, "_file_hasher", whole_file_in_memory)
    artifact.add_file(str(path), policy="immutable")
    (entry,) = artifact.manifest.entries.values()
    assert entry.digest == expected
