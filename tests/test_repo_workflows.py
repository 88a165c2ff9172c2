"""The template repository's own GitHub workflows (the suite on every push, the weekly
pin bump) pass GitHub's workflow schema, and the bump script rewrites pins as said."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
from bump_pins import apply, bumps  # noqa: E402

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_the_workflow_passes_githubs_schema(workflow):
    checked = subprocess.run(
        [Path(sys.executable).parent / "check-jsonschema"]
        + ["--builtin-schema", "vendor.github-workflows", workflow],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_ci_workflow_runs_what_ci_runs():
    assert "bash .ci/run" in (REPO_ROOT / ".github/workflows/test.yml").read_text()


REQUIREMENTS = "# pins\ncookiecutter==2.7.1\nmlflow==3.17.2\nwandb==0.31.0\n"
NEWEST = {"cookiecutter": "2.7.1", "mlflow": "3.18.0", "wandb": "0.32.1"}


def test_bumps_lists_only_pins_with_a_newer_release():
    assert bumps(REQUIREMENTS, NEWEST.get) == [
        {"package": "mlflow", "old": "3.17.2", "new": "3.18.0"},
        {"package": "wandb", "old": "0.31.0", "new": "0.32.1"},
    ]


def test_a_bump_alone_moves_that_pin_only():
    (wandb,) = [b for b in bumps(REQUIREMENTS, NEWEST.get) if b["package"] == "wandb"]
    assert apply(REQUIREMENTS, [wandb]) == (
        "# pins\ncookiecutter==2.7.1\nmlflow==3.17.2\nwandb==0.32.1\n"
    )
