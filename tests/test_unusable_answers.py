"""Answers a generated step could not carry, given to the real cookiecutter CLI:
text that is not UTF-8, a NUL, text that makes the step's command too long for
Linux, and a choice that is not one of the choices. Each is refused before anything
is written, on lines that name the field, with no traceback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO_ROOT, mlflow_run, offline_env

import local_extensions as ext

COOKIECUTTER = str(Path(sys.executable).parent / "cookiecutter")


@pytest.fixture
def home(tmp_path) -> dict[str, str]:
    """cookiecutter with HOME in a temporary folder: its replay files land there."""
    folder = tmp_path / "home"
    folder.mkdir()
    env = dict(os.environ, HOME=str(folder), XDG_CONFIG_HOME=str(folder / ".config"))
    env.pop("COOKIECUTTER_CONFIG", None)
    return env


def cookiecutter(env, out: Path, *arguments: str | bytes):
    return subprocess.run(
        [COOKIECUTTER, "--output-dir", str(out), *arguments],
        env=env,
        capture_output=True,
        timeout=120,
    )


def replay_file(env, tmp_path: Path, **answers: str) -> Path:
    """The replay file of a render with the default answers, then ``answers``
    written over them, as a user would edit one."""
    result = cookiecutter(env, tmp_path / "first", "--no-input", str(REPO_ROOT))
    assert result.returncode == 0, result.stderr.decode()
    (replay,) = Path(env["HOME"]).glob(".cookiecutter_replay/*.json")
    context = json.loads(replay.read_text(encoding="utf-8"))
    context["cookiecutter"].update(answers)
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(context), encoding="utf-8")
    return edited


def assert_refused(result, out: Path, field: str, fragment: str) -> None:
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode != 0
    assert "Traceback" not in err, err
    assert f"  - {field}: " in err and fragment in err, err
    assert not out.exists() or list(out.rglob("*")) == []


def test_an_answer_that_is_not_utf8_on_the_command_line_is_refused(home, tmp_path):
    out = tmp_path / "out"
    # What a Latin-1 terminal sends for "Café": the byte 0xE9, which Python reads
    # as the lone surrogate U+DCE9.
    result = cookiecutter(
        home, out, "--no-input", str(REPO_ROOT).encode(), b"short_description=Caf\xe9"
    )
    assert_refused(result, out, "short_description", "not UTF-8")


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("short_description", "Caf\udce9", "not UTF-8"),
        ("project_name", "Basic\x00Cleaning", "a NUL character"),
        ("long_description", "line\x00", "a NUL character"),
    ],
)
def test_an_answer_no_file_can_hold_in_a_replay_file_is_refused(
    home, tmp_path, field, value, fragment
):
    out = tmp_path / "out"
    replay = replay_file(home, tmp_path, **{field: value})
    result = cookiecutter(home, out, "--replay-file", str(replay), str(REPO_ROOT))
    assert_refused(result, out, field, fragment)


def description_for_a_command_of(size: int, context: dict) -> str:
    """A short description that makes the step's command ``size`` bytes long."""
    base = len(ext.command_line({**context, "short_description": "x"}).encode())
    return "x" * (size - base + 1)


def test_a_description_too_long_for_the_command_line_is_refused(home, tmp_path):
    context = {"step_kind": "generic", "project_slug": "basic_cleaning"}
    description = description_for_a_command_of(ext.COMMAND_BUDGET + 1, context)
    out = tmp_path / "out"
    replay = replay_file(home, tmp_path, short_description=description)
    result = cookiecutter(home, out, "--replay-file", str(replay), str(REPO_ROOT))
    assert_refused(result, out, "short_description", "shorten it")
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert f"may take at most {ext.COMMAND_BUDGET:,} bytes" in readme


@pytest.mark.slow
def test_the_longest_description_allowed_runs_through_mlflow_run(
    cookies, tmp_path, sample_csv
):
    context = {"step_kind": "generic", "project_slug": "basic_cleaning"}
    description = description_for_a_command_of(ext.COMMAND_BUDGET, context)
    result = cookies.bake(extra_context={**context, "short_description": description})
    assert result.exception is None, result.exception
    assert len(ext.command_line(result.context).encode()) == ext.COMMAND_BUDGET
    run = mlflow_run(
        result.project_path, offline_env(tmp_path), input_artifact=str(sample_csv)
    )
    assert run.returncode == 0, run.stderr[-3000:]
    written = pd.read_csv(result.project_path / "outputs" / "basic_cleaning.csv")
    assert len(written) == len(pd.read_csv(sample_csv))


def test_a_choice_not_on_the_list_is_cookiecutters_own_error_as_the_readme_says(
    home, tmp_path
):
    out = tmp_path / "out"
    result = cookiecutter(
        home, out, "--no-input", str(REPO_ROOT), "step_kind=basic-cleaning"
    )
    assert result.returncode != 0
    assert not out.exists()
    # cookiecutter raises before any extension or hook of the template runs: the
    # template cannot word it, so the README shows it as it comes.
    last = result.stderr.decode().splitlines()[-1]
    shown = re.sub(r"\[.*\]", "[...]", last)
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert shown in readme, shown
