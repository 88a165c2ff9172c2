"""The training step: its data logic alone, then the whole step offline."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyRegressor
from step_io.testing import (
    assert_failed_on_one_line,
    assert_the_run_failed,
    run_step,
)

import run
from run import StepError


def step(*argv: str) -> int:
    """The exit code of ``python run.py ARGV``, run in this process."""
    return run_step(run, *argv)


# Small enough that a forest trains in a blink.
TINY_FOREST = {"n_estimators": 5, "max_depth": 3, "random_state": 0}
REFUSED = "RandomForestRegressor refuses it: .*"


@pytest.fixture
def many_listings(listings):
    """Eighty listings: the eight of the fixture ten times over, prices varied."""
    rows = pd.concat([listings] * 10, ignore_index=True)
    rows["id"] = range(len(rows))
    rows["price"] = rows["price"] + rows.index % 13
    return rows


@pytest.fixture
def tiny_rf_config(tmp_path):
    path = tmp_path / "tiny_rf_config.json"
    path.write_text(json.dumps(TINY_FOREST))
    return path


def trained(rows, rf_config=TINY_FOREST, log_every=2):
    """A pipeline trained on ``rows`` as the step trains it, and what it reported."""
    train_rows, val_rows = run.split(rows, 0.25, 1, "none")
    train_features, train_target = run.features_and_target(train_rows)
    val_features, val_target = run.features_and_target(val_rows)
    latest = run.latest_date(train_features[run.REVIEW_DATE])
    pipeline = run.build_pipeline(rf_config, 3, latest)
    reports = []
    run.train(
        pipeline,
        train_features,
        train_target,
        val_features,
        val_target,
        log_every,
        report=reports.append,
    )
    return pipeline, reports, val_features, val_target


# The data logic


def test_the_shipped_rf_config_is_a_valid_forest():
    config = run.load_rf_config(str(Path(run.__file__).with_name("rf_config.json")))
    assert config["n_estimators"] == 100
    assert config["random_state"] == 42


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file"),
        ("{n_estimators: 5}", "not valid JSON"),
        ("[5, 3]", "holds a JSON list, not an object"),
        ('{"n_trees": 5}', f"{REFUSED}unexpected keyword argument 'n_trees'"),
        ('{"n_estimators": 0}', f"{REFUSED}The 'n_estimators' parameter .* Got 0"),
        ('{"max_depth": 2.5}', f"{REFUSED}The 'max_depth' parameter .* Got 2.5"),
    ],
)
def test_a_bad_rf_config_fails_on_one_line(tmp_path, content, problem):
    path = tmp_path / "rf_config.json"
    if content is not None:
        path.write_text(content)
    pattern = f"^--rf_config {re.escape(repr(str(path)))}: {problem}"
    with pytest.raises(StepError, match=pattern) as error:
        run.load_rf_config(str(path))
    assert "\n" not in str(error.value)


def test_the_split_holds_out_val_size_of_the_rows_stratified(many_listings):
    train_rows, val_rows = run.split(many_listings, 0.25, 3, "room_type")
    assert (len(train_rows), len(val_rows)) == (60, 20)
    assert set(train_rows["id"]).isdisjoint(val_rows["id"])
    assert val_rows["room_type"].value_counts().to_dict() == {
        "Entire home/apt": 10,
        "Private room": 10,
    }


def test_the_split_is_the_same_for_the_same_seed(many_listings):
    first = run.split(many_listings, 0.25, 3, "none")[1]
    again = run.split(many_listings, 0.25, 3, "none")[1]
    other = run.split(many_listings, 0.25, 4, "none")[1]
    assert list(first["id"]) == list(again["id"]) != list(other["id"])


def test_too_few_rows_to_split_fail_on_one_line(listings):
    with pytest.raises(StepError, match="^--val_size 0.1: 3 rows split into 2"):
        run.split(listings.head(3), 0.1, 1, "none")


def test_a_class_of_one_row_cannot_be_stratified(many_listings):
    with pytest.raises(StepError, match="^--stratify_by 'id': cannot stratify"):
        run.split(many_listings, 0.25, 1, "id")


def test_features_are_the_model_columns_with_numbers_as_floats(listings):
    features, target = run.features_and_target(listings)
    assert list(features.columns) == run.FEATURES
    assert (features[run.ZERO_IMPUTED].dtypes == "float64").all()
    assert list(target) == list(listings["price"])


def test_the_latest_date_skips_missing_and_unreadable_dates():
    dates = pd.Series(["2019-06-01", None, "soon", "2019-07-05 00:00:00"])
    assert run.latest_date(dates) == "2019-07-05"
    assert run.latest_date(pd.Series([None, None])) == run.NEVER_REVIEWED


def test_review_age_is_days_before_the_latest_review():
    dates = np.array([["2019-07-08"], ["2019-07-01"], ["2018-07-08"], ["soon"]])
    days = run.days_before(dates, latest="2019-07-08")
    np.testing.assert_array_equal(days, [[0.0], [7.0], [365.0], [np.nan]])


def test_titles_are_texts_with_missing_ones_empty():
    titles = np.array([["Cozy loft"], [None], [np.nan], ["Café 中文"]], dtype=object)
    assert list(run.texts(titles)) == ["Cozy loft", "", "", "Café 中文"]


def test_the_forest_grows_log_every_trees_at_a_time(many_listings):
    pipeline, reports, _, _ = trained(many_listings, log_every=2)
    assert [report["trees"] for report in reports] == [2, 4, 5]
    assert all(math.isfinite(r["val_mae"]) and r["val_mae"] >= 0 for r in reports)
    forest = pipeline.named_steps["random_forest"]
    assert len(forest.estimators_) == 5
    assert forest.warm_start is False  # as rf_config left it, for the export


def test_growing_the_forest_gives_the_forest_fitted_at_once(many_listings):
    grown, _, val_features, _ = trained(many_listings, log_every=2)
    at_once, _, _, _ = trained(many_listings, log_every=5)
    np.testing.assert_allclose(
        grown.predict(val_features), at_once.predict(val_features)
    )


def test_a_listing_scores_the_same_alone_as_in_a_batch(many_listings):
    pipeline, _, val_features, _ = trained(many_listings)
    batch = pipeline.predict(val_features)
    alone = [pipeline.predict(val_features.iloc[[i]])[0] for i in range(3)]
    np.testing.assert_allclose(alone, batch[:3])


def test_unseen_and_missing_values_are_still_scored(many_listings):
    pipeline, _, val_features, _ = trained(many_listings)
    odd = val_features.head(2).copy()
    odd["room_type"] = ["Hotel room", None]
    odd["neighbourhood_group"] = ["Atlantis", None]
    odd[["name", "last_review", "reviews_per_month"]] = None
    assert np.isfinite(pipeline.predict(odd)).all()


def test_evaluate_scores_the_predictions():
    features = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    target = pd.Series([90.0, 110.0, 90.0, 110.0])
    model = DummyRegressor(strategy="constant", constant=100.0).fit(features, target)
    assert run.evaluate(model, features, target) == {
        "r2": 0.0,
        "mae": 10.0,
        "mse": 100.0,
        "rmse": 10.0,
    }


def test_feature_importance_counts_each_input_column_once(many_listings):
    pipeline, _, _, _ = trained(many_listings)
    importance = run.feature_importance(pipeline)
    assert sorted(importance.index) == sorted(run.FEATURES)
    assert importance.sum() == pytest.approx(1.0)
    assert list(importance) == sorted(importance, reverse=True)


def test_the_plot_has_a_bar_per_input_column():
    importance = pd.Series({"room_type": 0.6, "name": 0.3, "latitude": 0.1})
    figure = run.plot_feature_importance(importance)
    (axes,) = figure.axes
    labels = [label.get_text() for label in axes.get_yticklabels()]
    assert labels == ["latitude", "name", "room_type"]
    assert [bar.get_width() for bar in axes.patches] == [0.1, 0.3, 0.6]


# The whole step, offline


def test_the_step_trains_logs_and_exports_the_model(
    offline_wandb, many_listings, tiny_rf_config, recorded_runs
):
    many_listings.to_csv("trainval.csv", index=False)
    argv = ["--trainval_artifact", "trainval.csv", "--rf_config", str(tiny_rf_config)]
    argv += ["--log_every", "2", "--max_tfidf_features", "3", "--stratify_by"]
    assert step(*argv, "room_type") == 0

    (logged,) = recorded_runs
    assert logged.job_type == run.JOB_TYPE
    assert logged.exit_code == 0
    assert logged.name == f"{run.JOB_TYPE}: trainval.csv -> random_forest_export"
    assert logged.config["model"] == {**TINY_FOREST, "max_tfidf_features": 3}
    assert logged.config["training"] == {
        "val_size": 0.2,
        "random_seed": 42,
        "stratify_by": "room_type",
        "log_every": 2,
    }
    curve = [entry for entry in logged.history if "trees" in entry]
    assert [entry["trees"] for entry in curve] == [2, 4, 5]
    assert set(logged.summary) == {"r2", "mae", "mse", "rmse"}
    assert curve[-1]["val_mae"] == logged.summary["mae"]
    assert any("feature_importance" in entry for entry in logged.history)
    assert any("predicted_vs_actual" in entry for entry in logged.history)
    (artifact,) = logged.artifacts
    assert (artifact.name, artifact.type) == ("random_forest_export", "model_export")

    export = offline_wandb / "outputs" / "random_forest_export"
    # The export, and the step's record of it (see step_io.Output).
    assert sorted(p.name for p in (offline_wandb / "outputs").iterdir()) == [
        ".random_forest_export.lock",
        "random_forest_export",
    ]
    import mlflow.sklearn

    model = mlflow.sklearn.load_model(str(export))
    assert list(model.feature_names_in_) == run.FEATURES
    features, _ = run.features_and_target(many_listings)
    features.to_csv("features.csv", index=False)
    np.testing.assert_allclose(
        predicted_elsewhere(export, "features.csv"), model.predict(features)
    )


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (["--val_size", "0"], "--val_size 0.0: must be between 0 and 1"),
        (["--val_size", "1.5"], "--val_size 1.5: must be between 0 and 1"),
        (["--log_every", "0"], "--log_every 0: must be 1 or more"),
        (["--max_tfidf_features", "0"], "--max_tfidf_features 0: must be 1 or more"),
        (["--rf_config", "missing.json"], "--rf_config 'missing.json': no such file"),
        (["--output_artifact", "../model"], "--output_artifact '../model': use 1"),
    ],
)
def test_a_bad_parameter_fails_the_run_and_exports_nothing(
    offline_wandb,
    many_listings,
    tiny_rf_config,
    recorded_runs,
    capsys,
    options,
    problem,
):
    many_listings.to_csv("trainval.csv", index=False)
    argv = ["--trainval_artifact", "trainval.csv", "--rf_config", str(tiny_rf_config)]
    assert step(*argv, *options) == 1
    error = assert_failed_on_one_line(capsys, problem)
    assert_the_run_failed(recorded_runs, error)
    # The run's config holds the value refused, and no forest read from rf_config.
    config = recorded_runs[0].config
    assert set(config["model"]) == {"rf_config", "max_tfidf_features"}
    held = {**config["data"], **config["model"], **config["training"]}
    name = options[0].removeprefix("--")
    assert problem.startswith(f"--{name} {held[name]!r}: ")
    assert not (offline_wandb / "outputs").exists()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda rows: rows.drop(columns=["room_type", "price"]),
            "missing column(s) room_type, price",
        ),
        (lambda rows: rows.head(4), "--val_size 0.2: 4 rows split into 3 to train"),
        (
            lambda rows: rows.assign(name="the and of"),
            "cannot train on it: empty vocabulary",
        ),
    ],
)
def test_bad_data_fails_on_one_line_and_exports_nothing(
    offline_wandb, many_listings, tiny_rf_config, recorded_runs, capsys, change, problem
):
    change(many_listings).to_csv("trainval.csv", index=False)
    argv = ["--trainval_artifact", "trainval.csv", "--rf_config", str(tiny_rf_config)]
    assert step(*argv) == 1
    error = assert_failed_on_one_line(capsys, problem)
    assert_the_run_failed(recorded_runs, error)
    assert not (offline_wandb / "outputs").exists()


def predicted_elsewhere(model_dir, csv):
    """What the model predicts for the rows of ``csv`` in a fresh Python process
    whose path holds no run.py, as in the step that scores the model."""
    load_and_predict = (
        "import sys, mlflow.sklearn, pandas as pd\n"
        "model = mlflow.sklearn.load_model(sys.argv[1])\n"
        "print(*model.predict(pd.read_csv(sys.argv[2])))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", load_and_predict, str(model_dir), str(csv)],
        check=False,
        cwd=Path(csv).resolve().parent,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return [float(value) for value in result.stdout.split()]
