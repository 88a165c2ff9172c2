"""The scoring step: score() and the worst predictions on a few listings (adapt these
tests when you change them), then the whole step offline, with an exported model."""

from __future__ import annotations

import mlflow.sklearn
import pandas as pd
import pytest
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, r2_score
from step_io.testing import assert_failed_on_one_line, assert_the_run_failed, run_step

import run

COLUMNS = ["minimum_nights", "number_of_reviews"]


@pytest.fixture
def price_model(listings):
    """A linear price model fitted on two named columns of the listings."""
    return LinearRegression().fit(listings[COLUMNS], listings["price"])


def test_score_is_r2_and_mae_of_the_price_predictions(listings, price_model):
    predicted = price_model.predict(listings[COLUMNS])
    assert run.score(price_model, listings) == {
        "r2": pytest.approx(r2_score(listings["price"], predicted)),
        "mae": pytest.approx(mean_absolute_error(listings["price"], predicted)),
    }


def test_a_model_without_column_names_predicts_from_every_column_but_price():
    rows = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0], "price": [90, 110]})
    model = DummyRegressor().fit(rows[["x", "y"]].to_numpy(), rows["price"])
    assert list(run.features(model, rows).columns) == ["x", "y"]


def test_the_worst_predictions_come_first_with_their_listing(listings, price_model):
    residuals = listings["price"] - price_model.predict(listings[COLUMNS])
    shown = run.worst(run.predictions(price_model, listings), 3)
    largest = residuals.abs().nlargest(3)
    assert shown["residual"].abs().tolist() == pytest.approx(largest.tolist())
    names = listings.loc[largest.index, "name"].fillna("")  # a missing name shows empty
    assert shown["name"].tolist() == names.tolist()


# --- the whole step, W&B offline, its scores in the MLflow run `mlflow run` starts ---


def test_the_step_logs_what_score_returns_to_wandb_and_mlflow(
    offline_wandb, recorded_runs, listings, price_model, monkeypatch
):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{offline_wandb}/mlflow.db")
    # Named requirements spare MLflow inferring them, which takes seconds.
    mlflow.sklearn.save_model(price_model, "model", pip_requirements=["scikit-learn"])
    listings.to_csv("test.csv", index=False)
    # What `mlflow run` does before it starts the step's command.
    client = mlflow.MlflowClient()
    mlflow_run_id = client.create_run("0").info.run_id
    monkeypatch.setenv("MLFLOW_RUN_ID", mlflow_run_id)
    argv = ["--mlflow_model", "model", "--test_dataset", "test.csv"]
    try:
        assert run_step(run, *argv) == 0
    finally:
        mlflow.end_run()
    rows = pd.read_csv("test.csv")
    scores = run.score(price_model, rows)
    (recorded,) = recorded_runs
    assert recorded.summary == {**scores, "test_rows": len(rows)}
    (pictures,) = recorded.history
    assert set(pictures) == {"predicted_vs_actual", "residuals", "worst_predictions"}
    assert client.get_run(mlflow_run_id).data.metrics == pytest.approx(scores)


def test_a_test_set_the_model_cannot_score_fails_on_one_line(
    offline_wandb, recorded_runs, listings, price_model, capsys
):
    mlflow.sklearn.save_model(price_model, "model", pip_requirements=["scikit-learn"])
    listings.astype({"minimum_nights": object}).assign(minimum_nights="a week").to_csv(
        "test.csv", index=False
    )
    argv = ["--mlflow_model", "model", "--test_dataset", "test.csv"]
    assert run_step(run, *argv) == 1
    error = assert_failed_on_one_line(
        capsys, "--test_dataset 'test.csv': the model cannot score it: "
    )
    assert_the_run_failed(recorded_runs, error)
