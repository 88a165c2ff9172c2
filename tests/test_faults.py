"""Faults of the machine around a generated step, each caused for real: a signal to
the step's process group while it writes, a run killed outright, two runs at once
and two in a row, a full disk and a read-only folder (tmpfs mounts: the suite runs as
root in CI), no W&B API key online. Whatever happens, the step leaves no partial
file, logs no artifact for a failed run, never replaces what it did not write, and
says why on one line, the last on stderr."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from conftest import finish, mlflow_run, start_in_own_group
from wandb_log import offline_runs

pytestmark = pytest.mark.slow

# Enough rows that writing the cleaned CSV takes a good part of a second here.
LARGE_ROWS = 400_000
# The cleaned CSV, and the step's record of what it wrote (see step_io.Output).
OUTPUT_AND_RECORD = [".clean_sample.csv.lock", "clean_sample.csv"]
MLFLOW_LOG_LINE = re.compile(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d [A-Z]+ mlflow")


def render(cookies_session, kind: str) -> Path:
    result = cookies_session.bake(extra_context={"step_kind": kind})
    assert result.exception is None
    return result.project_path


@pytest.fixture(scope="module")
def cleaning_step(cookies_session) -> Path:
    return render(cookies_session, "basic_cleaning")


@pytest.fixture(scope="module")
def split_step(cookies_session) -> Path:
    return render(cookies_session, "data_split")


@pytest.fixture(scope="module")
def check_step(cookies_session) -> Path:
    return render(cookies_session, "data_check")


@pytest.fixture(scope="module")
def large_csv(sample_csv, tmp_path_factory) -> Path:
    """The sample listings over and over: real-shaped, and slow to write."""
    sample = pd.read_csv(sample_csv)
    rows = pd.concat([sample] * (LARGE_ROWS // len(sample)), ignore_index=True)
    rows["id"] = range(len(rows))
    path = tmp_path_factory.mktemp("large") / "listings.csv"
    rows.to_csv(path, index=False)
    return path


def start(step: Path, env: dict[str, str], *options: str, python_module=None):
    """The step's command in a process group of its own, as a scheduler starts it."""
    program = ["-m", python_module] if python_module else ["run.py"]
    return start_in_own_group([sys.executable, *program, *options], step, env)


def wait_for(condition, process: subprocess.Popen, what: str, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"the step ended or hung before {what}")
        time.sleep(0.001)


def signal_while_writing(process: subprocess.Popen, output_dir: Path, stop: int):
    """Signal the cleaning step's process group once it has begun its output file."""
    partial = output_dir / ".clean_sample.csv.partial"
    wait_for(partial.exists, process, "it started writing")
    os.killpg(process.pid, stop)


def clean(step, csv, folder: Path, env, *options: str, output_dir: Path | None = None):
    """The cleaning step started on ``csv``, logging to W&B under ``folder`` and
    writing to ``output_dir`` (default ``folder/outputs``); and that --output_dir."""
    output_dir = output_dir or folder / "outputs"
    env = dict(env, WANDB_DIR=str(folder))
    options = ("--input_artifact", str(csv), "--output_dir", str(output_dir), *options)
    return start(step, env, *options), output_dir


def last_line(stderr: str) -> str:
    """The step's own last line: W&B's lines come before it, and nothing after."""
    lines = stderr.splitlines()
    ours = [line for line in lines if not line.startswith("wandb:")]
    assert len(ours) == 1 and lines[-1] == ours[0], stderr[-3000:]
    return ours[0]


def assert_failed_cleanly(stderr: str, wandb_dir: Path, output_dir: Path, line: str):
    assert "Traceback" not in stderr
    assert last_line(stderr) == line
    (run,) = offline_runs(wandb_dir)
    assert run.exit_code == 1
    assert run.artifacts == []
    assert run.summary["error"] == line.partition(": error: ")[2].removesuffix(
        "; nothing was logged"
    )
    assert not output_dir.exists() or list(output_dir.iterdir()) == []


def b64_md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def assert_manifest_describes_its_bytes(artifact) -> bytes:
    """Each file of the artifact, where its manifest points, holds the bytes whose
    digest and size the manifest records (the bytes `wandb sync` would upload)."""
    (entry,) = artifact.manifest.contents
    assert not entry.extra  # no other digest algorithm: the digest is an MD5
    data = Path(entry.local_path).read_bytes()
    assert (entry.digest, entry.size) == (b64_md5(data), len(data))
    return data


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_writing_leaves_nothing(
    cleaning_step, large_csv, step_env, tmp_path, stop
):
    process, output_dir = clean(cleaning_step, large_csv, tmp_path, step_env)
    signal_while_writing(process, output_dir, stop)
    code, _, stderr = finish(process)
    assert code == 128 + stop
    name = signal.Signals(stop).name
    line = f"run.py: error: interrupted by {name}; nothing was logged"
    assert_failed_cleanly(stderr, tmp_path, output_dir, line)


def test_a_sigterm_to_mlflow_runs_process_group_reaches_the_step(
    cleaning_step, large_csv, step_env, tmp_path
):
    output_dir = tmp_path / "outputs"
    env = dict(step_env, WANDB_DIR=str(tmp_path))
    mlflow = str(Path(sys.executable).parent / "mlflow")
    process = start_in_own_group(
        [mlflow, "run", cleaning_step, "--env-manager", "local"]
        + ["-P", f"input_artifact={large_csv}", "-P", f"output_dir={output_dir}"],
        cleaning_step,
        env,
    )
    signal_while_writing(process, output_dir, signal.SIGTERM)
    _, _, stderr = finish(process)  # its output ends when the step's does
    (line,) = [line for line in stderr.splitlines() if line.startswith("run.py:")]
    assert line == "run.py: error: interrupted by SIGTERM; nothing was logged"
    (run,) = offline_runs(tmp_path)
    assert run.exit_code == 1
    assert run.artifacts == []
    assert not output_dir.exists()  # the step made it, and left it empty


def test_a_signal_stops_the_data_check_and_fails_its_run(
    check_step, large_csv, sample_csv, step_env, tmp_path
):
    env = dict(step_env, WANDB_DIR=str(tmp_path))
    options = ["-vv", "test_data.py", f"--csv={large_csv}", f"--ref={sample_csv}"]
    process = start(check_step, env, *options, python_module="pytest")
    wait_for(lambda: any(tmp_path.glob("wandb/offline-run-*")), process, "W&B started")
    os.killpg(process.pid, signal.SIGTERM)
    code, stdout, stderr = finish(process)
    assert code == 128 + signal.SIGTERM  # as a run.py step exits
    assert "Traceback" not in stdout + stderr
    assert last_line(stderr) == "test_data.py: error: interrupted by SIGTERM"
    (run,) = offline_runs(tmp_path)
    assert run.exit_code == 1
    assert run.summary["error"] == "interrupted by SIGTERM"


def test_what_a_killed_run_left_is_cleared_by_the_next(
    cleaning_step, large_csv, sample_csv, step_env, tmp_path
):
    process, output_dir = clean(cleaning_step, large_csv, tmp_path, step_env)
    signal_while_writing(process, output_dir, signal.SIGKILL)
    finish(process)
    # SIGKILL cannot be caught: the partial file and the lock stay.
    assert (output_dir / ".clean_sample.csv.partial").exists()

    code, _, stderr = finish(clean(cleaning_step, sample_csv, tmp_path, step_env)[0])
    assert code == 0, stderr[-3000:]
    assert sorted(p.name for p in output_dir.iterdir()) == OUTPUT_AND_RECORD


def holds_a_lock(pid: int) -> bool:
    """Whether process ``pid`` holds an flock: /proc/locks lists each with its pid."""
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if fields[1:2] == ["FLOCK"] and fields[4:5] == [str(pid)]:
            return True
    return False


def test_a_second_run_at_the_same_time_is_refused_and_the_first_unharmed(
    cleaning_step, sample_csv, step_env, tmp_path
):
    output_dir = tmp_path / "outputs"
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    first, _ = clean(
        cleaning_step, sample_csv, first_dir, step_env, output_dir=output_dir
    )
    # Held still once it holds its lock (the kernel lists it in /proc/locks), so the
    # second run surely overlaps it.
    wait_for(lambda: holds_a_lock(first.pid), first, "it locked")
    os.killpg(first.pid, signal.SIGSTOP)
    try:
        second, _ = clean(
            cleaning_step, sample_csv, second_dir, step_env, output_dir=output_dir
        )
        code, _, stderr = finish(second)
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    assert code == 1
    assert last_line(stderr) == (
        f"run.py: error: --output_dir {str(output_dir)!r}: another run is writing "
        "clean_sample.csv there now; wait for it to end, or give another --output_dir"
    )
    (refused,) = offline_runs(second_dir)
    assert (refused.exit_code, refused.artifacts) == (1, [])

    code, _, stderr = finish(first)
    assert code == 0, stderr[-3000:]
    (run,) = offline_runs(first_dir)
    (artifact,) = run.artifacts
    logged = assert_manifest_describes_its_bytes(artifact)
    assert logged == (output_dir / "clean_sample.csv").read_bytes()
    assert sorted(p.name for p in output_dir.iterdir()) == OUTPUT_AND_RECORD


def test_a_run_s_manifest_still_describes_its_bytes_after_the_next_run(
    cleaning_step, sample_csv, step_env, tmp_path
):
    for max_price in ("350", "100"):  # two different outputs, one after the other
        process, output_dir = clean(
            cleaning_step, sample_csv, tmp_path, step_env, "--max_price", max_price
        )
        code, _, stderr = finish(process)
        assert code == 0, stderr[-3000:]
    first, second = offline_runs(tmp_path)
    first_bytes = assert_manifest_describes_its_bytes(first.artifacts[0])
    second_bytes = assert_manifest_describes_its_bytes(second.artifacts[0])
    assert first_bytes != second_bytes
    assert second_bytes == (output_dir / "clean_sample.csv").read_bytes()


@contextmanager
def mounted_tmpfs(folder: Path, options: str):
    """A tmpfs at ``folder`` for the block: a small one is a disk soon full, a
    read-only one a folder no one can write to, whatever root's rights."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs the suite as root)")
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    assert mounted.returncode == 0, mounted.stderr
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def free_bytes(folder: Path) -> int:
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


def assert_refused_output_dir(result, wandb_dir: Path, output_dir: Path, problem: str):
    code, _, stderr = result
    assert code == 1
    line = f"run.py: error: --output_dir {str(output_dir)!r}: {problem}"
    assert_failed_cleanly(stderr, wandb_dir, output_dir, line)


def test_a_disk_full_partway_leaves_no_output_at_all(
    split_step, sample_csv, step_env, tmp_path
):
    def split_into(output_dir: Path, wandb_dir: Path):
        env = dict(step_env, WANDB_DIR=str(wandb_dir))
        options = ["--input", str(sample_csv), "--output_dir", str(output_dir)]
        return finish(start(split_step, env, *options))

    # The split's two files as they come out, to leave room for the first only.
    measured = tmp_path / "measured"
    code, _, stderr = split_into(measured, tmp_path / "measuring")
    assert code == 0, stderr[-3000:]
    trainval = (measured / "trainval_data.csv").stat().st_size
    test = (measured / "test_data.csv").stat().st_size
    page = os.sysconf("SC_PAGE_SIZE")
    assert test > 2 * page  # or the rounding below could let it fit

    with mounted_tmpfs(tmp_path / "disk", "size=1m") as disk:
        room = (trainval // page + 2) * page
        (disk / "filler").write_bytes(b"\0" * (free_bytes(disk) - room))
        output_dir = disk / "outputs"
        assert_refused_output_dir(
            split_into(output_dir, tmp_path),
            tmp_path,
            output_dir,
            "cannot write test_data.csv: No space left on device",
        )
        assert sorted(p.name for p in disk.iterdir()) == ["filler"]


def test_a_read_only_output_folder_is_one_line(
    cleaning_step, sample_csv, step_env, tmp_path
):
    with mounted_tmpfs(tmp_path / "read_only", "ro") as read_only:
        process, output_dir = clean(
            cleaning_step, sample_csv, tmp_path, step_env, output_dir=read_only
        )
        assert_refused_output_dir(
            finish(process),
            tmp_path,
            output_dir,
            "cannot write clean_sample.csv there: Read-only file system",
        )


def test_online_without_an_api_key_or_a_terminal_says_what_to_do(
    cleaning_step, sample_csv, step_env, tmp_path
):
    home = tmp_path / "home"
    home.mkdir()
    env = dict(step_env, HOME=str(home), WANDB_MODE="online", WANDB_DIR=str(tmp_path))
    # Nothing answers there: the step must not get as far as asking a server.
    env["WANDB_BASE_URL"] = "http://127.0.0.1:9"
    result = subprocess.run(
        [sys.executable, "run.py", "--input_artifact", str(sample_csv)],
        cwd=cleaning_step,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    line = last_line(result.stderr)
    assert line.startswith("run.py: error: W&B has no API key")
    assert "`wandb login`" in line and "WANDB_MODE=offline" in line


def test_under_mlflow_run_the_step_s_line_is_its_last_and_only_mlflow_follows(
    cleaning_step, step_env, tmp_path
):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    env = dict(step_env, WANDB_DIR=str(tmp_path))
    env.pop("WANDB_SILENT", None)  # W&B's banner and summary come first
    result = mlflow_run(cleaning_step, env, input_artifact=str(empty))
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    (at,) = [i for i, line in enumerate(lines) if line.startswith("run.py: error:")]
    assert (
        lines[at]
        == f"run.py: error: --input_artifact {str(empty)!r}: the file is empty"
    )
    assert all(not line.startswith("wandb:") for line in lines[at + 1 :])
    assert lines[at + 1 :] and all(
        MLFLOW_LOG_LINE.match(line) for line in lines[at + 1 :]
    ), lines[at:]
    assert "Traceback" not in result.stderr
