"""The scoring step: its data logic alone, then the whole step offline."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, r2_score
from step_io.testing import (
    FakeOnlineRun,
    assert_failed_on_one_line,
    assert_the_run_failed,
    run_step,
    use_run,
)

import run


def step(*argv: str) -> int:
    """The exit code of ``python run.py ARGV``, run in this process."""
    return run_step(run, *argv)


COLUMNS = ["minimum_nights", "number_of_reviews"]


@pytest.fixture
def price_model(listings):
    """A linear price model fitted on two named columns of the listings."""
    return LinearRegression().fit(listings[COLUMNS], listings["price"])


@pytest.fixture
def exported_model(offline_wandb, price_model):
    """The price model as an MLflow model folder, as the training step exports one."""
    import mlflow.sklearn

    path = offline_wandb / "price_model"
    # Named requirements spare MLflow inferring them, which takes seconds.
    mlflow.sklearn.save_model(price_model, str(path), pip_requirements=["scikit-learn"])
    return path


# The data logic


def test_the_model_columns_are_those_it_was_fitted_on(price_model):
    assert run.model_columns(price_model) == COLUMNS
    unnamed = DummyRegressor().fit([[1.0], [2.0]], [1.0, 2.0])
    assert run.model_columns(unnamed) == []


def test_score_is_r2_and_mae_of_the_price_predictions(listings, price_model):
    predicted = price_model.predict(listings[COLUMNS])
    assert run.score(price_model, listings) == {
        "r2": pytest.approx(r2_score(listings["price"], predicted)),
        "mae": pytest.approx(mean_absolute_error(listings["price"], predicted)),
    }


def test_a_model_without_column_names_scores_every_column_but_price():
    rows = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "price": [90, 110, 90, 110]})
    model = DummyRegressor(strategy="constant", constant=100.0).fit(
        rows[["x"]].to_numpy(), rows["price"]
    )
    assert run.score(model, rows) == {"r2": 0.0, "mae": 10.0}


def test_the_worst_predictions_come_first_with_their_listing(listings, price_model):
    predicted = run.predictions(price_model, listings)
    assert list(predicted.columns) == ["name", "actual", "predicted", "residual"]
    assert predicted["residual"].tolist() == pytest.approx(
        (listings["price"] - price_model.predict(listings[COLUMNS])).tolist()
    )
    shown = run.worst(predicted, 3)
    assert len(shown) == 3
    assert shown["residual"].abs().is_monotonic_decreasing
    largest = predicted["residual"].abs().nlargest(3)
    assert shown["residual"].abs().tolist() == pytest.approx(largest.tolist())
    assert set(shown["name"]) <= set(predicted["name"])


# The whole step, offline


def test_the_step_logs_the_test_scores(
    offline_wandb, listings, price_model, exported_model, recorded_runs
):
    listings.to_csv("test.csv", index=False)
    argv = ["--mlflow_model", str(exported_model), "--test_dataset", "test.csv"]
    assert step(*argv) == 0
    (logged,) = recorded_runs
    assert logged.job_type == run.JOB_TYPE
    assert logged.exit_code == 0
    assert logged.name == f"{run.JOB_TYPE}: price_model on test.csv"
    assert logged.config["inputs"] == {
        "mlflow_model": str(exported_model),
        "test_dataset": "test.csv",
    }
    assert logged.summary == {**run.score(price_model, listings), "test_rows": 8}
    # The plots and the table a person looks at in W&B.
    (pictures,) = logged.history
    assert set(pictures) == {"predicted_vs_actual", "residuals", "worst_predictions"}
    assert len(pictures["worst_predictions"].data) == 8


def test_online_the_model_and_the_test_set_are_fetched_from_wandb(
    offline_wandb, listings, price_model, exported_model, monkeypatch
):
    listings.to_csv("downloaded.csv", index=False)
    online_run = FakeOnlineRun(
        {
            "random_forest_export:prod": exported_model,
            "test_data.csv:latest": offline_wandb / "downloaded.csv",
        }
    )
    use_run(monkeypatch, online_run)
    argv = ["--mlflow_model", "random_forest_export:prod"]
    assert step(*argv, "--test_dataset", "test_data.csv:latest") == 0
    assert online_run.used == ["random_forest_export:prod", "test_data.csv:latest"]
    assert online_run.summary == {**run.score(price_model, listings), "test_rows": 8}
    assert online_run.exit_code == 0


def test_under_mlflow_run_the_scores_go_to_the_mlflow_run_too(
    offline_wandb, listings, price_model, exported_model, monkeypatch
):
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{offline_wandb}/mlflow.db")
    client = mlflow.MlflowClient()
    # What `mlflow run` does before it starts the step's command.
    mlflow_run_id = client.create_run("0").info.run_id
    monkeypatch.setenv("MLFLOW_RUN_ID", mlflow_run_id)
    listings.to_csv("test.csv", index=False)
    argv = ["--mlflow_model", str(exported_model), "--test_dataset", "test.csv"]
    try:
        assert step(*argv) == 0
    finally:
        mlflow.end_run()
    metrics = client.get_run(mlflow_run_id).data.metrics
    assert metrics == pytest.approx(run.score(price_model, listings))


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        ("missing_model", "--mlflow_model 'missing_model': no such local path"),
        ("test.csv", "--mlflow_model 'test.csv': is not a folder"),
        ("empty_folder", "--mlflow_model 'empty_folder': not an MLflow model"),
        ("broken_model", "--mlflow_model 'broken_model': cannot load it"),
    ],
)
def test_a_bad_model_fails_on_one_line(
    offline_wandb, recorded_runs, listings, capsys, model, problem
):
    listings.to_csv("test.csv", index=False)
    (offline_wandb / "empty_folder").mkdir()
    (offline_wandb / "broken_model").mkdir()
    (offline_wandb / "broken_model" / "MLmodel").write_text("flavors: {}\n")
    assert step("--mlflow_model", model, "--test_dataset", "test.csv") == 1
    error = assert_failed_on_one_line(capsys, problem)
    assert_the_run_failed(recorded_runs, error)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda rows: rows.drop(columns=["price", "number_of_reviews"]),
            "missing column(s) price, number_of_reviews",
        ),
        (
            lambda rows: rows.assign(minimum_nights="a week"),
            "the model cannot score it: ",
        ),
    ],
)
def test_a_bad_test_dataset_fails_on_one_line(
    offline_wandb, recorded_runs, listings, exported_model, capsys, change, problem
):
    change(listings).to_csv("test.csv", index=False)
    argv = ["--mlflow_model", str(exported_model), "--test_dataset", "test.csv"]
    assert step(*argv) == 1
    error = assert_failed_on_one_line(capsys, "--test_dataset 'test.csv': " + problem)
    assert_the_run_failed(recorded_runs, error)
