"""The promotion step: decide() alone (adapt its test when you change it), then the
whole step offline, with two exported models and the MLflow registry read back."""

from __future__ import annotations

from pathlib import Path

import mlflow.sklearn
import pytest
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression
from step_io import StepError
from step_io.testing import FakeOnlineRun, run_step, use_run

import run


@pytest.fixture
def tracking(offline_wandb, monkeypatch, listings):
    """A throwaway MLflow store (its client), the test set and two exported models:
    a linear one, and a poor one (the mean price, whatever the listing)."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{offline_wandb}/mlflow.db")
    listings.to_csv("test.csv", index=False)
    columns = ["minimum_nights", "number_of_reviews"]
    for name, model in (("good", LinearRegression()), ("poor", DummyRegressor())):
        model.fit(listings[columns], listings["price"])
        # Named requirements spare MLflow inferring them, which takes seconds.
        mlflow.sklearn.save_model(model, name, pip_requirements=["scikit-learn"])
    yield mlflow.MlflowClient()
    mlflow.end_run()


def promote(candidate, current="", *options: str) -> int:
    argv = ["--candidate_model", candidate, "--test_dataset", "test.csv"]
    return run_step(run, *argv, "--current_model", current, *options)


# --- decide() ---


def test_the_candidate_is_promoted_when_better_by_the_margin():
    assert run.decide("r2", 0.5, None, 0.0).promote  # there is no current model
    assert run.decide("r2", 0.5, 0.4, 0.0).promote
    assert not run.decide("r2", 0.5, 0.4, 0.2).promote  # not by the margin
    assert not run.decide("r2", 0.5, 0.5, 0.0).promote  # not better at all
    assert run.decide("mae", 40.0, 50.0, 5.0).promote  # a lower mae is better
    reason = run.decide("mae", 50.0, 40.0, 0.0).reason
    assert reason.startswith("not promoted: the candidate's mae 50 against 40, not")


def test_a_metric_it_does_not_compare_is_refused():
    argv = ["--candidate_model", "c", "--test_dataset", "t", "--metric", "rmse"]
    with pytest.raises(StepError, match="^--metric 'rmse': not a metric this step"):
        run.check_parameters(run.build_parser().parse_args(argv))


# --- the whole step, W&B offline ---


def test_the_first_model_is_promoted_then_only_a_better_one(
    tracking, recorded_runs, capsys
):
    assert promote("poor") == 0
    assert "promoted: there is no current model" in capsys.readouterr().out
    assert promote("poor", "good") == 0
    assert "not promoted: the candidate's r2 " in capsys.readouterr().out
    assert promote("good", "poor", "--metric", "mae") == 0
    assert "price_model version 2 has the alias 'champion'" in capsys.readouterr().out
    promoted = [logged.summary["promoted"] for logged in recorded_runs]
    assert promoted == [True, False, True]
    # The champion is a copy of the candidate (its MLmodel names the model's uuid).
    copy = mlflow.artifacts.download_artifacts("models:/price_model@champion")
    assert Path(copy, "MLmodel").read_text() == Path("good", "MLmodel").read_text()


def test_under_mlflow_run_the_decision_goes_to_the_mlflow_run(tracking, monkeypatch):
    # What `mlflow run` does before it starts the step's command.
    mlflow_run_id = tracking.create_run("0").info.run_id
    monkeypatch.setenv("MLFLOW_RUN_ID", mlflow_run_id)
    assert promote("good", "poor") == 0
    logged = tracking.get_run(mlflow_run_id).data
    assert logged.metrics["promoted"] == 1.0 and logged.metrics["improvement"] > 0
    assert logged.tags["promoted"] == "true"
    champion = tracking.get_model_version_by_alias("price_model", "champion")
    assert champion.run_id == mlflow_run_id


def test_online_the_alias_moves_to_the_candidates_version(tracking, monkeypatch):
    latest, prod = "random_forest_export:latest", "random_forest_export:prod"
    online_run = FakeOnlineRun({latest: "good", prod: "poor"})
    use_run(monkeypatch, online_run)
    assert promote(latest, prod) == 0
    assert online_run.saved_aliases == {latest: ["prod"]}
