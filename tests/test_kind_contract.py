"""The contract for a team that forks the template to add its own kind of step (or
environment): copy an existing kind's folder under a new name, add that name to
``step_kind`` in cookiecutter.json and its label under ``__prompts__.step_kind``;
nothing else. The new kind then renders, passes ruff, runs under ``mlflow run`` and
passes its own tests; a new environment made the same way renders a step that runs.

Done here in a copy of the template, through the real cookiecutter CLI, so that the
copy's own local_extensions.py (not this suite's) finds the new folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from component_checks import (
    assert_ruff_clean,
    files_of,
    rendered_names,
    step_files_of,
)
from conftest import REPO_ROOT, mlflow_run

import local_extensions as ext

pytestmark = pytest.mark.slow

NEW_KIND = "price_band"
COPIED_KIND = "basic_cleaning"
NEW_ENVIRONMENT = "conda_local"
COPIED_ENVIRONMENT = "conda"
# What a template checkout holds besides the template: never copied.
NOT_TEMPLATE = shutil.ignore_patterns(
    ".git", ".venv", "demo", "data", "__pycache__", ".pytest_cache", ".ruff_cache"
)


@pytest.fixture(scope="module")
def forked_template(tmp_path_factory) -> Path:
    """A copy of the template with one kind added, as the README says to add one."""
    fork = tmp_path_factory.mktemp("fork") / "template"
    shutil.copytree(REPO_ROOT, fork, ignore=NOT_TEMPLATE)
    kinds = fork / ext.KINDS_DIR.relative_to(REPO_ROOT)
    shutil.copytree(kinds / COPIED_KIND, kinds / NEW_KIND)
    environments = fork / ext.ENVIRONMENTS_DIR.relative_to(REPO_ROOT)
    shutil.copytree(environments / COPIED_ENVIRONMENT, environments / NEW_ENVIRONMENT)
    config_file = fork / "cookiecutter.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["step_kind"].append(NEW_KIND)
    config["__prompts__"]["step_kind"][NEW_KIND] = (
        f"{NEW_KIND}: listings priced within a band"
    )
    config["environment"].append(NEW_ENVIRONMENT)
    config["__prompts__"]["environment"][NEW_ENVIRONMENT] = (
        f"{NEW_ENVIRONMENT}: conda.yml, as the team keeps it"
    )
    config_file.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return fork


def render(template: Path, out: Path, *answers: str) -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "cookiecutter"),
            "--no-input",
            "--output-dir",
            str(out),
            str(template),
            *answers,
        ],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def new_step(forked_template, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rendered")
    render(forked_template, out, f"step_kind={NEW_KIND}", "project_name=Price Band")
    return out / "price_band"


def test_a_new_environment_renders_a_step_that_runs(
    forked_template, tmp_path, sample_csv, step_env
):
    render(forked_template, tmp_path, f"environment={NEW_ENVIRONMENT}")
    step = tmp_path / "basic_cleaning"
    assert (step / "conda.yml").is_file()
    assert "conda_env: conda.yml" in (step / "MLproject").read_text()
    assert_ruff_clean(step)
    result = mlflow_run(step, step_env, input_artifact=str(sample_csv))
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_new_kind_renders_its_files(new_step, forked_template):
    kinds = forked_template / ext.KINDS_DIR.relative_to(REPO_ROOT)
    brought = rendered_names(
        step_files_of(kinds / NEW_KIND), {"project_slug": NEW_KIND}
    )
    assert brought <= files_of(new_step)
    assert not any(name.startswith("_") for name in files_of(new_step))
    assert "A `price_band` step" in (new_step / "README.md").read_text()


def test_the_new_kind_passes_ruff(new_step):
    assert_ruff_clean(new_step)


def test_the_new_kind_runs_under_mlflow_run(new_step, sample_csv, step_env):
    result = mlflow_run(new_step, step_env, input_artifact=str(sample_csv))
    assert result.returncode == 0, result.stderr[-3000:]
    cleaned = pd.read_csv(new_step / "outputs" / "clean_sample.csv")
    assert 0 < len(cleaned) <= len(pd.read_csv(sample_csv))


def test_the_new_kind_passes_its_own_tests(new_step, step_env):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=new_step,
        env=step_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
