"""Secrets and hygiene: no generated file reads or prints an API key, nothing runs
through a shell, and .gitignore keeps a step's local runs and outputs out of git."""

from __future__ import annotations

import re
import subprocess

import pytest
from component_checks import ENVIRONMENT_FILES, KIND_FILES
from conftest import mlflow_run

# A key of the shape W&B issues; if it shows up anywhere, the step leaked it.
CANARY_KEY = "0123456789abcdef" * 2 + "canary00"


@pytest.mark.parametrize("environment", sorted(ENVIRONMENT_FILES))
@pytest.mark.parametrize("kind", sorted(KIND_FILES))
def test_no_generated_file_touches_keys_or_a_shell(cookies, kind, environment):
    context = {"step_kind": kind, "environment": environment}
    project = cookies.bake(extra_context=context).project_path
    for path in project.rglob("*"):
        # The README may name a variable a user sets; no other file may touch it.
        if path.is_file() and path.name != "README.md":
            text = path.read_text(encoding="utf-8")
            for forbidden in ("WANDB_API_KEY", "api_key", "shell=True", "os.system"):
                assert forbidden not in text, f"{forbidden} in {path.name}"
            assert not re.search(r"\bos\.popen\b|\beval\(|\bexec\(", text), path.name


@pytest.mark.slow
def test_a_run_leaks_no_key_and_git_ignores_what_it_leaves(
    cookies, sample_csv, step_env
):
    project = cookies.bake().project_path
    generated = sorted(files_under(project))
    env = dict(step_env, WANDB_API_KEY=CANARY_KEY)
    # MLflow's default store, in the step folder, as a user running it by hand gets.
    env.pop("MLFLOW_TRACKING_URI")
    result = mlflow_run(project, env, input_artifact=sample_csv)
    assert result.returncode == 0, result.stderr[-3000:]
    assert CANARY_KEY not in result.stdout + result.stderr
    left = files_under(project)
    assert any(name.startswith("wandb/offline-run-") for name in left)
    assert any(name.startswith("outputs/") for name in left)
    for name in left:
        assert CANARY_KEY.encode() not in (project / name).read_bytes(), name

    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert sorted(line[3:] for line in status.splitlines()) == generated


def files_under(folder) -> set[str]:
    return {
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(folder).parts
    }
