"""The data getter: fetch() on a local file and on a URL an http server on 127.0.0.1
serves (adapt these tests when you change it), then the whole step once, offline."""

from __future__ import annotations

import functools
import http.server
import threading

import pandas as pd
import pytest
from step_io import StepError
from step_io.testing import run_step

import run


@pytest.fixture
def server(tmp_path):
    """An http server on 127.0.0.1, serving the test's folder; its base URL."""
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(tmp_path)
    )
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_local_file_is_copied_and_a_url_downloaded(tmp_path, server):
    data = b"id,price\n" + b"1,100\n" * (run.CHUNK_BYTES // 3)  # a few chunks
    (tmp_path / "listings.csv").write_bytes(data)
    for source in (str(tmp_path / "listings.csv"), f"{server}/listings.csv"):
        run.fetch(source, tmp_path / "copy.csv")
        assert (tmp_path / "copy.csv").read_bytes() == data


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("no/such.csv", "--sample 'no/such.csv': no such file or URL"),
        ("{server}/missing.csv", "/missing.csv': the server answered 404"),
    ],
)
def test_a_source_that_cannot_be_fetched_is_refused(tmp_path, server, source, problem):
    with pytest.raises(StepError, match=problem):
        run.fetch(source.format(server=server), tmp_path / "copy.csv")


# --- the whole step, W&B offline ---


def test_the_step_logs_what_fetch_gets(offline_wandb, recorded_runs, listings):
    listings.to_csv("listings.csv", index=False)
    assert run_step(run, "--sample", "listings.csv") == 0
    run.fetch("listings.csv", offline_wandb / "expected.csv")
    written = offline_wandb / "outputs" / "raw_data.csv"
    assert written.read_bytes() == (offline_wandb / "expected.csv").read_bytes()
    (recorded,) = recorded_runs
    (artifact,) = recorded.artifacts
    assert (artifact.name, artifact.type) == ("raw_data.csv", "raw_data")
    rows = pd.read_csv("expected.csv")
    assert recorded.history == [{"rows": len(rows), "columns": len(rows.columns)}]
