"""The example pipeline: every kind rendered by examples/render_steps.py, chained by
examples/main.py (Hydra + ``mlflow.run``), offline, on the generated listings."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, mlflow_run, offline_env
from wandb_log import offline_runs

sys.path.insert(0, str(REPO_ROOT / "examples"))
from render_steps import render_steps  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def steps(tmp_path_factory) -> dict[str, Path]:
    return render_steps(tmp_path_factory.mktemp("steps"))


@pytest.fixture(scope="module")
def pipeline(steps, sample_csv, tmp_path_factory):
    """One offline run of the whole chain; small forest to keep it quick."""
    env = offline_env(tmp_path_factory.mktemp("pipeline"))
    overrides = [
        f"main.steps_dir={next(iter(steps.values())).parent}",
        f"main.raw_data={sample_csv}",
        "modeling.random_forest.n_estimators=30",
        "modeling.max_tfidf_features=5",
    ]
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "examples" / "main.py"), *overrides],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def only_run(folder: Path):
    (run,) = offline_runs(folder)
    assert run.exit_code == 0
    return run


def test_the_chain_ends_with_test_metrics(pipeline):
    match = re.search(r"test set: r2=(\S+) mae=(\S+)", pipeline.stdout)
    assert match, pipeline.stdout[-2000:]
    r2, mae = (float(value) for value in match.groups())
    assert math.isfinite(r2) and r2 <= 1
    assert mae > 0


def test_each_step_logged_its_artifacts(pipeline, steps):
    logged = {
        kind: {(a.name, a.type) for a in only_run(folder).artifacts}
        for kind, folder in steps.items()
    }
    assert logged == {
        "basic_cleaning": {("clean_sample.csv", "clean_sample")},
        "data_check": set(),
        "data_split": {
            ("trainval_data.csv", "segregated_data"),
            ("test_data.csv", "segregated_data"),
        },
        "train_random_forest": {("random_forest_export", "model_export")},
        "test_regression_model": set(),
    }


def test_training_logged_a_curve_and_the_test_its_scores(pipeline, steps):
    training = only_run(steps["train_random_forest"])
    assert len(training.history) >= 3  # 30 trees, one log every 10
    assert training.config["model"]["n_estimators"] == 30
    testing = only_run(steps["test_regression_model"])
    assert {"r2", "mae"} <= set(testing.summary)


def test_a_data_check_that_must_fail_fails_the_step(steps, sample_csv, step_env):
    # The raw listings hold prices outside [10, 350]: the price check must fail.
    result = mlflow_run(
        steps["data_check"],
        step_env,
        csv=sample_csv,
        ref=sample_csv,
        min_rows=10,
    )
    assert result.returncode != 0
    assert "test_price_range" in result.stdout + result.stderr
