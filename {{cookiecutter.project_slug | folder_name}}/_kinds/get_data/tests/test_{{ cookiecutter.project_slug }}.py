"""The data getter: its helpers alone, then the whole step offline, on a local file
and on a URL of an http server the test starts on 127.0.0.1."""

from __future__ import annotations

import functools
import http.server
import io
import threading

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


@pytest.fixture
def raw_csv(offline_wandb, listings):
    listings.to_csv("listings.csv", index=False)
    return offline_wandb / "listings.csv"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        """Its request log would land on the stderr the tests read."""


@pytest.fixture
def server(offline_wandb):
    """An http server on 127.0.0.1, serving the test's folder; its base URL."""
    handler = functools.partial(QuietHandler, directory=str(offline_wandb))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


# --- the data logic ---


@pytest.mark.parametrize(
    ("source", "url"),
    [("https://example.com/x.csv", True), ("HTTP://x", True), ("data.csv", False)],
)
def test_urls_are_told_from_paths(source, url):
    assert run.is_url(source) is url


def test_chunks_are_copied_with_the_bytes_so_far_reported():
    reports = []
    target = io.BytesIO()
    data = b"x" * (2 * run.CHUNK_BYTES + 5)
    copied = run.copy_chunks(
        io.BytesIO(data), target, len(data), lambda *report: reports.append(report)
    )
    assert reports == [
        (run.CHUNK_BYTES, len(data)),
        (2 * run.CHUNK_BYTES, len(data)),
        (len(data), len(data)),
    ]
    assert copied == len(data) and target.getvalue() == data


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_drawn_in_a_terminal_and_its_line_ended():
    terminal = Terminal()
    with run.Progress("downloading x.csv", terminal) as progress:
        progress(50, 100)
        progress(100, 100)
    text = terminal.getvalue()
    assert text.startswith("\rdownloading x.csv: [###############")
    assert "100% of 0.0 MB" in text
    assert text.endswith("\n")


def test_progress_is_not_drawn_in_a_log():
    log = io.StringIO()
    with run.Progress("downloading x.csv", log) as progress:
        progress(50, 100)
    assert log.getvalue() == ""


# --- the whole step, offline ---


def test_a_local_file_is_logged_as_raw_data(raw_csv, recorded_runs):
    assert step("--sample", "listings.csv") == 0
    output = raw_csv.parent / "outputs" / "raw_data.csv"
    assert output.read_bytes() == raw_csv.read_bytes()
    (logged,) = recorded_runs
    assert logged.exit_code == 0
    assert logged.name == f"{run.JOB_TYPE}: listings.csv -> raw_data.csv"
    (artifact,) = logged.artifacts
    assert (artifact.name, artifact.type) == ("raw_data.csv", "raw_data")
    assert logged.history == [{"rows": 8, "columns": 16}]


def test_a_url_is_downloaded_and_logged(raw_csv, server, recorded_runs):
    url = f"{server}/listings.csv"
    assert step("--sample", url) == 0
    output = raw_csv.parent / "outputs" / "raw_data.csv"
    assert output.read_bytes() == raw_csv.read_bytes()
    (logged,) = recorded_runs
    assert logged.config["input"] == {"sample": url}
    assert logged.name == f"{run.JOB_TYPE}: {url} -> raw_data.csv"


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "the server answered 404 File not found"), ("", "the file is empty")],
    ids=["missing", "empty"],
)
def test_a_bad_url_fails_on_one_line(
    offline_wandb, server, recorded_runs, capsys, content, problem
):
    if content is not None:
        (offline_wandb / "served.csv").write_text(content)
    url = f"{server}/served.csv"
    assert step("--sample", url) == 1
    error = assert_failed_on_one_line(capsys, f"--sample {url!r}", problem)
    assert_the_run_failed(recorded_runs, error)
    assert not (offline_wandb / "outputs").exists()


def test_a_server_that_cannot_be_reached_fails_on_one_line(
    offline_wandb, recorded_runs, capsys
):
    assert step("--sample", "http://127.0.0.1:9/listings.csv") == 1
    error = assert_failed_on_one_line(capsys, "cannot download it: Connection refused")
    assert_the_run_failed(recorded_runs, error)
