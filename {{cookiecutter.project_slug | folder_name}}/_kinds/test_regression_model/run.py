#!/usr/bin/env python
"""An MLflow step: score an exported regression model (an MLflow model folder, the
training step's export) on a test CSV, and log r2 and mae to the W&B run's summary
and, under `mlflow run`, to the MLflow run, where a pipeline driver reads them.
README.md says how to run it; the package step_io holds the wiring steps share."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import step_io
from step_io.models import load_sklearn_model
from step_io.pictures import preview_table

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure
    from sklearn.base import RegressorMixin

{% include "identity.py.j2" %}

{% include "arguments.py.j2" %}

TARGET = "price"
# The worst predictions shown in W&B, with their listing's name.
WORST_SHOWN = 10

# The data logic: plain functions on DataFrames, testable without W&B or files.


def score(
    model: RegressorMixin,
    rows: pd.DataFrame,
    parameters: dict[str, object] | None = None,
    predicted=None,
) -> dict[str, float]:
    """r2 and mae of the model's price predictions for ``rows`` (``predicted``, when
    they are made already). ``parameters``, the step's own parameters by name."""
    from sklearn.metrics import mean_absolute_error, r2_score

    if predicted is None:
        predicted = model.predict(features(model, rows))
    return {
        "r2": r2_score(rows[TARGET], predicted),
        "mae": mean_absolute_error(rows[TARGET], predicted),
    }


def model_columns(model: RegressorMixin) -> list[str]:
    """The columns the model was fitted on, if it knows their names."""
    return [str(name) for name in getattr(model, "feature_names_in_", [])]


def features(model: RegressorMixin, rows: pd.DataFrame) -> pd.DataFrame:
    """The columns the model predicts from: a model fitted on named columns may
    refuse others, such as the target."""
    return rows[model_columns(model) or rows.columns.drop(TARGET)]


def predictions(model: RegressorMixin, rows: pd.DataFrame) -> pd.DataFrame:
    """Each test row's actual and predicted price, the residual, and its listing's
    name when the data has one."""
    import pandas as pd

    names = rows["name"].astype("string").fillna("") if "name" in rows else ""
    table = pd.DataFrame(
        {
            "name": names,
            "actual": rows[TARGET].to_numpy(),
            "predicted": model.predict(features(model, rows)),
        }
    )
    table["residual"] = table["actual"] - table["predicted"]
    return table


def worst(predicted: pd.DataFrame, count: int = WORST_SHOWN) -> pd.DataFrame:
    """The ``count`` predictions furthest from the actual price, worst first."""
    order = predicted["residual"].abs().sort_values(ascending=False, kind="stable")
    return predicted.loc[order.index[:count]].reset_index(drop=True)


def plot_predictions(predicted: pd.DataFrame) -> tuple[Figure, Figure]:
    """Predicted against actual price (the diagonal is a perfect model), and the
    residuals against the prediction."""
    import matplotlib

    matplotlib.use("Agg")  # draws to memory: no display is needed, or used
    import matplotlib.pyplot as plt

    versus, axes = plt.subplots(figsize=(6, 6))
    axes.scatter(predicted["actual"], predicted["predicted"], s=6, alpha=0.5)
    top = float(max(predicted["actual"].max(), predicted["predicted"].max()))
    axes.plot([0, top], [0, top], color="grey", linewidth=1)
    axes.set_xlabel("actual price")
    axes.set_ylabel("predicted price")
    axes.set_title("Predicted against actual price, test set")
    versus.tight_layout()
    spread, axes = plt.subplots(figsize=(6, 4))
    axes.scatter(predicted["predicted"], predicted["residual"], s=6, alpha=0.5)
    axes.axhline(0, color="grey", linewidth=1)
    axes.set_xlabel("predicted price")
    axes.set_ylabel("actual - predicted")
    axes.set_title("Residuals, test set")
    spread.tight_layout()
    return versus, spread


# The wiring: W&B and files around the data logic.


def go(args: argparse.Namespace) -> None:
    model_name, test_name = Path(args.mlflow_model).name, Path(args.test_dataset).name
    run_name = f"{JOB_TYPE}: {model_name} on {test_name}"
    inputs = {"mlflow_model": args.mlflow_model, "test_dataset": args.test_dataset}
    config = {"inputs": inputs, "parameters": step_parameters(args)}
    with step_io.wandb_run(JOB_TYPE, run_name, config) as run:
        reference = args.mlflow_model
        folder = step_io.fetch_input(run, "mlflow_model", reference, folder=True)
        model = load_sklearn_model(folder, "mlflow_model", reference)
        path = step_io.fetch_input(run, "test_dataset", args.test_dataset)
        columns = {TARGET: "number", **dict.fromkeys(model_columns(model), "any")}
        rows = step_io.read_csv(path, "test_dataset", columns)
        try:
            # The test set is predicted once, for the scores and the pictures.
            predicted = predictions(model, rows)
            parameters = step_parameters(args)
            metrics = score(model, rows, parameters, predicted["predicted"])
        except ValueError as err:
            raise step_io.StepError(
                f"--test_dataset {args.test_dataset!r}: the model cannot score it: "
                f"{step_io.one_line(err)}"
            ) from None
        run.summary.update({**metrics, "test_rows": len(rows)})
        import wandb

        versus, spread = plot_predictions(predicted)
        run.log(
            {
                "predicted_vs_actual": wandb.Image(versus),
                "residuals": wandb.Image(spread),
                "worst_predictions": preview_table(worst(predicted)),
            }
        )
        # `mlflow run` names its run in MLFLOW_RUN_ID; the metrics logged there are
        # what a pipeline driver reads back.
        if os.environ.get("MLFLOW_RUN_ID"):
            import mlflow

            mlflow.log_metrics(metrics)


if __name__ == "__main__":
    sys.exit(step_io.main(build_parser, go))
