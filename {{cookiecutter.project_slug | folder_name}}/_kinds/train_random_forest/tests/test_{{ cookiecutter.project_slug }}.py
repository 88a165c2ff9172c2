"""The training step: the pipeline and its training on a few listings (adapt these
tests when you change them), then the whole step once, offline: it exports the model
they make."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from step_io import StepError
from step_io.testing import run_step

import run

# Small enough that a forest trains in a blink.
TINY_FOREST = {"n_estimators": 5, "max_depth": 3, "random_state": 0}


@pytest.fixture
def many_listings(listings):
    """Eighty listings: the eight of the fixture ten times over, prices varied."""
    rows = pd.concat([listings] * 10, ignore_index=True)
    rows["id"] = range(len(rows))
    rows["price"] = rows["price"] + rows.index % 13
    return rows


def trained(rows, log_every=2, val_size=0.25, seed=1, stratify_by="none", tfidf=3):
    """A pipeline trained on ``rows`` as the step trains it, what it reported while
    growing, and the validation features."""
    train_rows, val_rows = run.split(rows, val_size, seed, stratify_by)
    train_features, train_target = run.features_and_target(train_rows)
    val_features, val_target = run.features_and_target(val_rows)
    latest = run.latest_date(train_features[run.REVIEW_DATE])
    pipeline = run.build_pipeline(TINY_FOREST, tfidf, latest)
    reports = []
    data = (train_features, train_target, val_features, val_target)
    run.train(pipeline, *data, log_every, report=reports.append)
    return pipeline, reports, val_features


# --- the pipeline and its training ---


def test_the_forest_grown_log_every_trees_is_the_forest_fitted_at_once(many_listings):
    grown, reports, val_features = trained(many_listings, log_every=2)
    at_once, _, _ = trained(many_listings, log_every=5)
    assert [report["trees"] for report in reports] == [2, 4, 5]
    assert grown.named_steps["random_forest"].warm_start is False  # for the export
    predicted = grown.predict(val_features)
    np.testing.assert_allclose(predicted, at_once.predict(val_features))


def test_a_listing_scores_the_same_alone_as_in_a_batch(many_listings):
    pipeline, _, val_features = trained(many_listings)
    batch = pipeline.predict(val_features)
    alone = [pipeline.predict(val_features.iloc[[i]])[0] for i in range(3)]
    np.testing.assert_allclose(alone, batch[:3])


def test_unseen_and_missing_values_are_still_scored(many_listings):
    pipeline, _, val_features = trained(many_listings)
    odd = val_features.head(2).copy()
    odd["room_type"] = ["Hotel room", None]
    odd["neighbourhood_group"] = ["Atlantis", None]
    odd[["name", "last_review", "reviews_per_month"]] = None
    assert np.isfinite(pipeline.predict(odd)).all()


def test_feature_importance_counts_each_input_column_once(many_listings):
    importance = run.feature_importance(trained(many_listings)[0])
    assert sorted(importance.index) == sorted(run.FEATURES)
    assert importance.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{n_estimators: 5}", "not valid JSON"),
        ("[5, 3]", "holds a JSON list, not an object"),
        ('{"n_estimators": 0}', "RandomForestRegressor refuses it: The 'n_estimators'"),
    ],
)
def test_a_bad_rf_config_is_refused_on_one_line(tmp_path, content, problem):
    path = tmp_path / "rf_config.json"
    path.write_text(content)
    with pytest.raises(StepError, match=f"^--rf_config '.*': {re.escape(problem)}"):
        run.load_rf_config(str(path))


def test_too_few_rows_to_split_are_refused_on_one_line(listings):
    with pytest.raises(StepError, match="^--val_size 0.1: 3 rows split into 2"):
        run.split(listings.head(3), 0.1, 1, "none")


# --- the whole step, W&B offline ---


def test_the_step_logs_and_exports_the_model_it_trains(
    offline_wandb, recorded_runs, many_listings
):
    many_listings.to_csv("trainval.csv", index=False)
    Path("tiny.json").write_text(json.dumps(TINY_FOREST))
    argv = ["--trainval_artifact", "trainval.csv", "--rf_config", "tiny.json"]
    assert run_step(run, *argv, "--log_every", "2", "--max_tfidf_features", "3") == 0
    rows = pd.read_csv("trainval.csv")
    # As the step trains it, with its default --val_size and --random_seed.
    expected, reports, _ = trained(rows, log_every=2, val_size=0.2, seed=42, tfidf=3)
    (recorded,) = recorded_runs
    assert [entry for entry in recorded.history if "trees" in entry] == reports
    assert set(recorded.summary) == {"r2", "mae", "mse", "rmse"}
    (artifact,) = recorded.artifacts
    assert (artifact.name, artifact.type) == ("random_forest_export", "model_export")
    # The export predicts as the pipeline trained here, loaded without this run.py.
    features, _ = run.features_and_target(rows)
    features.to_csv("features.csv", index=False)
    export = "outputs/random_forest_export"
    predicted = predicted_elsewhere(export, "features.csv")
    np.testing.assert_allclose(predicted, expected.predict(features))


def predicted_elsewhere(model_dir, csv):
    """What the model predicts for the rows of ``csv`` in a fresh Python process
    whose path holds no run.py, as in the step that scores the model."""
    code = (
        "import sys, mlflow.sklearn, pandas as pd\n"
        "model = mlflow.sklearn.load_model(sys.argv[1])\n"
        "print(*model.predict(pd.read_csv(sys.argv[2])))"
    )
    argv = [sys.executable, "-c", code, model_dir, csv]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return [float(value) for value in result.stdout.split()]
