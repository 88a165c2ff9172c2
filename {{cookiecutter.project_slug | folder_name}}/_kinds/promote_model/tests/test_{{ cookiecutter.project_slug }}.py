"""The promotion step: the decision alone, then the whole step offline, with two
exported models of different quality and the MLflow registry read back."""

from __future__ import annotations

import pytest
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression
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
def tracking(offline_wandb, monkeypatch):
    """A throwaway MLflow store; its client."""
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{offline_wandb}/mlflow.db")
    yield mlflow.MlflowClient()
    mlflow.end_run()


def export(model, path):
    """``model`` as an MLflow model folder, as the training step exports one."""
    import mlflow.sklearn

    # Named requirements spare MLflow inferring them, which takes seconds.
    mlflow.sklearn.save_model(model, str(path), pip_requirements=["scikit-learn"])
    return path


@pytest.fixture
def good_model(listings, offline_wandb):
    """A linear price model: it fits its own training rows closely."""
    model = LinearRegression().fit(listings[COLUMNS], listings["price"])
    return export(model, offline_wandb / "good_model")


@pytest.fixture
def poor_model(listings, offline_wandb):
    """The mean price whatever the listing: an r2 of 0 on its own rows."""
    model = DummyRegressor().fit(listings[COLUMNS], listings["price"])
    return export(model, offline_wandb / "poor_model")


@pytest.fixture
def test_csv(listings, offline_wandb):
    listings.to_csv("test.csv", index=False)
    return "test.csv"


def promote(candidate, current="", *options: str) -> int:
    argv = ["--candidate_model", str(candidate), "--test_dataset", "test.csv"]
    return step(*argv, "--current_model", str(current), *options)


# The decision


@pytest.mark.parametrize(
    ("metric", "candidate", "current", "margin", "promoted"),
    [
        ("r2", 0.5, None, 0.0, True),
        ("r2", 0.5, 0.4, 0.0, True),
        ("r2", 0.5, 0.4, 0.2, False),
        ("r2", 0.4, 0.5, 0.0, False),
        ("r2", 0.5, 0.5, 0.0, False),
        ("mae", 40.0, 50.0, 5.0, True),
        ("mae", 50.0, 40.0, 0.0, False),
    ],
)
def test_the_candidate_is_promoted_when_better_by_the_margin(
    metric, candidate, current, margin, promoted
):
    decision = run.decide(metric, candidate, current, margin)
    assert decision.promote is promoted
    assert decision.reason.startswith("promoted" if promoted else "not promoted")
    assert "\n" not in decision.reason


# The whole step, offline


def test_a_better_candidate_is_promoted_and_registered_as_champion(
    tracking, recorded_runs, listings, good_model, poor_model, test_csv, capsys
):
    assert promote(good_model, poor_model) == 0
    out = capsys.readouterr().out
    assert "promoted: the candidate's r2 " in out
    assert "MLflow: price_model version 1 has the alias 'champion'" in out
    assert "W&B is offline: after `wandb sync`" in out
    (logged,) = recorded_runs
    assert logged.exit_code == 0
    assert logged.summary["promoted"] is True
    assert logged.summary["candidate_r2"] > logged.summary["current_r2"]
    champion = tracking.get_model_version_by_alias("price_model", "champion")
    assert str(champion.version) == "1"
    # The registered copy is the one logged into the step's own MLflow run.
    assert champion.source == f"runs:/{champion.run_id}/model" or (
        champion.source.endswith(f"{champion.run_id}/artifacts/model")
    )
    import mlflow.sklearn

    rows = listings[COLUMNS]
    registered = mlflow.sklearn.load_model("models:/price_model@champion")
    exported = mlflow.sklearn.load_model(str(good_model))
    assert registered.predict(rows) == pytest.approx(exported.predict(rows))


def test_a_worse_candidate_is_not_promoted(
    tracking, recorded_runs, good_model, poor_model, test_csv, capsys
):
    assert promote(poor_model, good_model) == 0
    assert "not promoted: the candidate's r2 " in capsys.readouterr().out
    (logged,) = recorded_runs
    assert logged.summary["promoted"] is False
    assert tracking.search_registered_models() == []


def test_the_first_model_is_promoted_when_none_exists(
    tracking, recorded_runs, poor_model, test_csv, capsys
):
    assert promote(poor_model) == 0
    assert "promoted: there is no current model" in capsys.readouterr().out
    champion = tracking.get_model_version_by_alias("price_model", "champion")
    assert str(champion.version) == "1"


def test_a_second_promotion_moves_the_champion_alias(
    tracking, good_model, poor_model, test_csv
):
    assert promote(poor_model) == 0
    assert promote(good_model, poor_model, "--metric", "mae") == 0
    champion = tracking.get_model_version_by_alias("price_model", "champion")
    assert str(champion.version) == "2"


def test_under_mlflow_run_the_decision_goes_to_the_mlflow_run(
    tracking, good_model, poor_model, test_csv, monkeypatch
):
    # What `mlflow run` does before it starts the step's command.
    mlflow_run_id = tracking.create_run("0").info.run_id
    monkeypatch.setenv("MLFLOW_RUN_ID", mlflow_run_id)
    assert promote(good_model, poor_model) == 0
    logged = tracking.get_run(mlflow_run_id).data
    assert logged.metrics["promoted"] == 1.0
    assert logged.metrics["improvement"] > 0
    assert logged.tags["promoted"] == "true"
    champion = tracking.get_model_version_by_alias("price_model", "champion")
    assert champion.run_id == mlflow_run_id


def test_online_the_alias_moves_to_the_candidates_version(
    tracking, good_model, poor_model, test_csv, monkeypatch, capsys
):
    # No W&B server can run here: the double answers use_artifact() and records
    # the aliases saved, as an artifact version's save() would send them.
    online_run = FakeOnlineRun(
        {
            "random_forest_export:latest": good_model,
            "random_forest_export:prod": poor_model,
        }
    )
    use_run(monkeypatch, online_run)
    assert promote("random_forest_export:latest", "random_forest_export:prod") == 0
    assert online_run.saved_aliases == {"random_forest_export:latest": ["prod"]}
    assert "W&B: random_forest_export:latest now has the alias 'prod'" in (
        capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (["--metric", "rmse"], "--metric 'rmse': not a metric this step compares"),
        (["--min_improvement", "-1"], "--min_improvement -1.0: must be 0 or more"),
    ],
)
def test_a_nonsense_option_fails_on_one_line(
    tracking, recorded_runs, good_model, test_csv, capsys, options, problem
):
    assert promote(good_model, "", *options) == 1
    error = assert_failed_on_one_line(capsys, problem)
    assert_the_run_failed(recorded_runs, error)


def test_a_bad_current_model_fails_on_one_line(
    tracking, recorded_runs, good_model, test_csv, capsys
):
    assert promote(good_model, "missing_model") == 1
    error = assert_failed_on_one_line(
        capsys, "--current_model 'missing_model': no such local path"
    )
    assert_the_run_failed(recorded_runs, error)
    assert tracking.search_registered_models() == []
