"""Run rendered steps for real: ``mlflow run --env-manager local`` with offline W&B,
on generated listings, then read back what the step wrote and what W&B logged."""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest
from component_checks import KIND_FILES
from conftest import ALL_TYPES_PARAMETERS, mlflow_run
from wandb_log import offline_runs

pytestmark = pytest.mark.slow

DESCRIPTION = 'Cleaned "listings": 100% #ok $(not run) \\ é 中'


@pytest.fixture(scope="module")
def all_types_step(cookies_session):
    result = cookies_session.bake(
        extra_context={"parameters": ALL_TYPES_PARAMETERS, "project_name": "Pass On"}
    )
    assert result.exception is None
    return result.project_path


@pytest.fixture(scope="module")
def default_step(cookies_session):
    result = cookies_session.bake()
    assert result.exception is None
    return result.project_path


def only_offline_run(project):
    (run,) = offline_runs(project)
    return run


def files_under(folder):
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_a_step_with_every_parameter_type_runs_and_logs_its_artifact(
    all_types_step, sample_csv, step_env
):
    result = mlflow_run(
        all_types_step,
        step_env,
        input_artifact=sample_csv,
        output_artifact="passed_on.csv",
        output_type="clean_sample",
        output_description=DESCRIPTION,
        note="a note; $(echo not run)",
        loud="true",
        ratio="0.25",
    )
    assert result.returncode == 0, result.stderr[-3000:]

    output = all_types_step / "outputs" / "passed_on.csv"
    # The output, and the step's record of what it wrote (see step_io.Output).
    assert files_under(all_types_step / "outputs") == [
        ".passed_on.csv.lock",
        "passed_on.csv",
    ]
    pd.testing.assert_frame_equal(pd.read_csv(output), pd.read_csv(sample_csv))

    run = only_offline_run(all_types_step)
    assert run.run.job_type == "pass_on"
    assert run.run.display_name == "pass_on: listings.csv -> passed_on.csv"
    assert run.config == {
        "input": {"artifact": str(sample_csv)},
        "output": {
            "artifact": "passed_on.csv",
            "type": "clean_sample",
            "description": DESCRIPTION,
            "dir": "outputs",
        },
        "parameters": {
            "min_count": 1,
            "ratio": 0.25,
            "label": "none",
            "loud": True,
            "note": "a note; $(echo not run)",
        },
    }
    rows = len(pd.read_csv(sample_csv))
    assert {"rows_in": rows, "rows_out": rows}.items() <= run.history[0].items()

    (artifact,) = run.artifacts
    assert artifact.name == "passed_on.csv"
    assert artifact.type == "clean_sample"
    assert artifact.description == DESCRIPTION
    (entry,) = artifact.manifest.contents
    assert entry.path == "passed_on.csv"
    assert entry.size == output.stat().st_size
    assert run.exit_code == 0


def test_the_default_step_runs_with_its_defaults(default_step, sample_csv, step_env):
    result = mlflow_run(default_step, step_env, input_artifact=sample_csv)
    assert result.returncode == 0, result.stderr[-3000:]

    (artifact,) = only_offline_run(default_step).artifacts
    assert artifact.name == "basic_cleaning.csv"
    assert artifact.type == "dataset"
    assert artifact.description.startswith("Read a CSV of listings")
    output = default_step / "outputs" / "basic_cleaning.csv"
    assert len(pd.read_csv(output)) == len(pd.read_csv(sample_csv))


def failed_step_line(stderr: str) -> str:
    (line,) = [
        line for line in stderr.splitlines() if line.startswith("run.py: error:")
    ]
    return line


def assert_nothing_was_output(project):
    assert not (project / "outputs").exists() or files_under(project / "outputs") == []
    for run in offline_runs(project):
        assert run.artifacts == []
        assert run.exit_code == 1


def test_a_wandb_reference_while_offline_fails_with_the_way_out(cookies, step_env):
    project = cookies.bake().project_path
    result = mlflow_run(project, step_env, input_artifact="raw_data.csv:latest")
    assert result.returncode != 0
    line = failed_step_line(result.stderr)
    assert "'raw_data.csv:latest'" in line
    assert "W&B is offline" in line
    assert "pass a local path instead" in line
    assert len(offline_runs(project)) == 1
    assert_nothing_was_output(project)


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--min_count", "many"], "argument --min_count: invalid int value: 'many'"),
        (["--loud", "maybe"], "expected true or false, got 'maybe'"),
    ],
)
def test_a_value_of_the_wrong_type_fails_before_any_run_starts(
    all_types_step, sample_csv, step_env, args, problem
):
    command = [sys.executable, "run.py", "--input_artifact", str(sample_csv)]
    command += ["--note", "n", *args]
    result = subprocess.run(
        command, cwd=all_types_step, env=step_env, capture_output=True, text=True
    )
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("run.py: error:")
    assert problem in line


@pytest.mark.parametrize("kind", sorted(KIND_FILES))
def test_each_kinds_own_tests_pass(cookies, step_env, kind):
    project = cookies.bake(
        extra_context={"step_kind": kind, "parameters": "note:str=hi, n:int=3"}
    ).project_path
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=project,
        env=step_env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"\d+ passed", result.stdout)
