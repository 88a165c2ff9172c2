"""Run rendered steps for real: ``mlflow run --env-manager local`` with offline W&B,
on generated listings, then read back what the step wrote and what W&B logged."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from component_checks import KIND_FILES, assert_ruff_clean
from conftest import ALL_TYPES_PARAMETERS, mlflow_run
from wandb_log import offline_runs

from hooks.post_gen_project import quick_start

pytestmark = pytest.mark.slow

DESCRIPTION = 'Cleaned "listings": 100% #ok $(not run) \\ é 中'


@pytest.fixture(scope="module")
def all_types_step(cookies_session):
    result = cookies_session.bake(
        extra_context={
            "step_kind": "generic",
            "parameters": ALL_TYPES_PARAMETERS,
            "project_name": "Pass On",
        }
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

    # The defaults make a basic_cleaning step, named and described as one.
    (artifact,) = only_offline_run(default_step).artifacts
    assert artifact.name == "clean_sample.csv"
    assert artifact.type == "clean_sample"
    assert artifact.description.startswith("Keep the listings priced within range")
    output = default_step / "outputs" / "clean_sample.csv"
    kept = len(pd.read_csv(output))
    assert 0 < kept <= len(pd.read_csv(sample_csv))
    # The step's first line says what it is about to do.
    assert result.stdout.splitlines()[0] == (
        "basic_cleaning: listings.csv -> clean_sample.csv, price 10-350 "
        "(W&B job type basic_cleaning)"
    )
    # What a person looks at in W&B, read back from the run's log.
    run = only_offline_run(default_step)
    (preview,) = run.media("preview")
    assert preview["_type"] == "table-file"
    assert preview["nrows"] == min(20, kept)
    (before,) = run.media("price_before")
    (after,) = run.media("price_after")
    assert before["_type"] == after["_type"] == "histogram"
    assert min(after["bins"]) >= 10 and max(after["bins"]) <= 350
    # A run leaves wandb/ and outputs/ in the step: ruff's verdict does not change.
    assert (default_step / "wandb").is_dir()
    assert_ruff_clean(default_step)


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


# Every kind's own tests again (minutes): in `make test-project`, which .ci/run runs.
@pytest.mark.project
def test_every_kind_s_own_tests_pass_in_one_pytest_call_from_a_parent_folder(
    cookies, step_env, tmp_path
):
    # As in a team repo: the steps under src/, pytest run from the repo's root, one
    # call for all of them. Every step has a run.py and a tests/conftest.py;
    # each step's tests must still test their own.
    src = tmp_path / "src"
    for kind in sorted(KIND_FILES):
        answers = {"step_kind": kind, "project_name": kind}
        answers["parameters"] = "note:str=hi, n:int=3"
        shutil.copytree(cookies.bake(extra_context=answers).project_path, src / kind)
    command = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider"]
    command += [f"src/{kind}" for kind in sorted(KIND_FILES)]
    result = subprocess.run(
        command, cwd=tmp_path, env=step_env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-3000:]
    for kind in sorted(KIND_FILES):  # each kind's own tests ran, and passed
        assert re.search(rf"test_{kind}\.py::\S+ PASSED", result.stdout), kind


def test_the_readme_quick_start_runs_as_written(
    template_repo, sample_csv, step_env, tmp_path
):
    # Rendered from a git checkout of the template as it is now, so that the
    # requirement's commit holds this very step_io (by cookiecutter's own command:
    # this process has the working tree's local_extensions loaded).
    cookiecutter = Path(sys.executable).parent / "cookiecutter"
    command = [cookiecutter, "--no-input", "-o", tmp_path, template_repo]
    subprocess.run([str(part) for part in command], check=True, capture_output=True)
    project = tmp_path / "basic_cleaning"
    shutil.copy(sample_csv, project / "listings.csv")  # the file it names
    # A new environment, with Python's own pip (23.2 on 3.11), that sees the suite's
    # packages (a .pth file): `pip install -r requirements.txt` then installs only
    # the step's wiring, from the template's repository at that commit.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    (site,) = venv.glob("lib/python*/site-packages")
    suite_site = Path(pd.__file__).parents[1]
    (site / "suite.pth").write_text(f"{suite_site}\n", encoding="utf-8")
    env = dict(step_env, PATH=f"{venv / 'bin'}{os.pathsep}{step_env['PATH']}")
    commands = [
        command
        for command in quick_start(project / "README.md")
        if command != "wandb login"  # asks for a key: nothing to log in to here
    ]
    assert commands[0] == "pip install -r requirements.txt"
    result = subprocess.run(
        ["bash", "-e", "-c", "\n".join(commands)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    installed = subprocess.run(
        [venv / "bin" / "python", "-c", "import step_io; print(step_io.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert installed.startswith(str(site))  # from the requirement, not the suite's
    assert (project / "outputs" / "clean_sample.csv").is_file()
    assert re.search(r"\d+ passed", result.stdout)
