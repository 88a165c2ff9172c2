#!/usr/bin/env python
"""An MLflow step: promote the candidate model (an MLflow model folder, the training
step's export) when it beats the current one on the test set by --min_improvement,
or when there is none; say why on one line, in the W&B run summary and the MLflow
run. A promoted model is logged into the step's MLflow run and registered with the
alias `champion`; online, the W&B alias --alias moves to the candidate's version.
README.md says how to run it; the package step_io holds the wiring steps share."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import step_io
from step_io import StepError
from step_io.models import load_sklearn_model

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.base import RegressorMixin

{% include "identity.py.j2" %}

{% include "arguments.py.j2" %}

TARGET = "price"
# Each metric, and whether a higher value is better.
HIGHER_IS_BETTER = {"r2": True, "mae": False}
# The registry alias of the promoted version, what a team without W&B reads.
CHAMPION = "champion"
# Where the promoted model is logged in the step's MLflow run.
LOGGED_MODEL = "model"


# The data logic: plain functions on DataFrames, testable without W&B or files.


def model_columns(model: RegressorMixin) -> list[str]:
    """The columns the model was fitted on, if it knows their names."""
    return [str(name) for name in getattr(model, "feature_names_in_", [])]


def score(
    model: RegressorMixin,
    rows: pd.DataFrame,
    parameters: dict[str, object] | None = None,
) -> dict[str, float]:
    """r2 and mae of the model's price predictions for ``rows``. ``parameters``, the
    step's own parameters by name."""
    from sklearn.metrics import mean_absolute_error, r2_score

    # A model fitted on named columns may refuse others, such as the target.
    features = rows[model_columns(model) or rows.columns.drop(TARGET)]
    predicted = model.predict(features)
    return {
        "r2": float(r2_score(rows[TARGET], predicted)),
        "mae": float(mean_absolute_error(rows[TARGET], predicted)),
    }


@dataclass(frozen=True)
class Decision:
    """Whether the candidate is promoted, and why, in one line."""

    promote: bool
    metric: str
    candidate: float
    current: float | None
    improvement: float | None
    min_improvement: float

    @property
    def reason(self) -> str:
        scores = f"{self.metric} {self.candidate:.4g}"
        if self.current is None:
            return f"promoted: there is no current model; the candidate's {scores}"
        against = f"{scores} against {self.current:.4g}"
        change = (
            f"better by {self.improvement:.4g}"
            if self.improvement > 0
            else f"not better ({self.improvement:+.4g})"
        )
        if self.promote:
            return (
                f"promoted: the candidate's {against}, {change} "
                f"(at least {self.min_improvement:g} needed)"
            )
        return (
            f"not promoted: the candidate's {against}, {change}; it needs to be "
            f"better by at least {self.min_improvement:g}"
        )

    def summary(self) -> dict[str, object]:
        return {
            "promoted": self.promote,
            "reason": self.reason,
            f"candidate_{self.metric}": self.candidate,
            f"current_{self.metric}": self.current,
            "improvement": self.improvement,
            "min_improvement": self.min_improvement,
        }


def decide(
    metric: str, candidate: float, current: float | None, min_improvement: float
) -> Decision:
    """Promote when there is no current model, or when the candidate is better (for
    ``metric``) by at least ``min_improvement``, and better at all."""
    if current is None:
        return Decision(True, metric, candidate, None, None, min_improvement)
    improvement = (
        candidate - current if HIGHER_IS_BETTER[metric] else current - candidate
    )
    promote = improvement > 0 and improvement >= min_improvement
    return Decision(promote, metric, candidate, current, improvement, min_improvement)


# The wiring: W&B, MLflow and files around the data logic.


def check_parameters(args: argparse.Namespace) -> None:
    if args.metric not in HIGHER_IS_BETTER:
        raise StepError(
            f"--metric {args.metric!r}: not a metric this step compares; use one of "
            + ", ".join(HIGHER_IS_BETTER)
        )
    if not args.min_improvement >= 0:
        raise StepError(
            f"--min_improvement {args.min_improvement!r}: must be 0 or more"
        )
    if not args.registered_model.strip():
        raise StepError(
            "--registered_model '': name the MLflow registered model, e.g. price_model"
        )


def scored(option: str, reference: str, model, rows, parameters) -> dict[str, float]:
    try:
        return score(model, rows, parameters=parameters)
    except (KeyError, ValueError) as err:
        raise StepError(
            f"--{option} {reference!r}: it cannot score the test set: "
            f"{step_io.one_line(err)}"
        ) from None


def register(model_dir: Path, name: str) -> str:
    """Log the promoted model into the step's MLflow run (the one `mlflow run`
    started, else a new one), register that logged copy as a version of ``name``
    with the alias champion; the version."""
    import mlflow

    try:
        active = mlflow.active_run() or mlflow.start_run(
            run_id=os.environ.get("MLFLOW_RUN_ID")
        )
        mlflow.log_artifacts(str(model_dir), LOGGED_MODEL)
        version = mlflow.register_model(
            f"runs:/{active.info.run_id}/{LOGGED_MODEL}", name
        ).version
        mlflow.MlflowClient().set_registered_model_alias(name, CHAMPION, version)
    except mlflow.exceptions.MlflowException as err:
        raise StepError(
            f"--registered_model {name!r}: MLflow cannot register the model: "
            f"{step_io.one_line(err)}"
        ) from None
    return str(version)


def record_in_mlflow(decision: Decision) -> None:
    """The decision in the MLflow run `mlflow run` started, where a pipeline driver
    (and a team without W&B) reads it."""
    if not os.environ.get("MLFLOW_RUN_ID"):
        return
    import mlflow

    scores = {
        f"candidate_{decision.metric}": decision.candidate,
        "promoted": float(decision.promote),
    }
    if decision.current is not None:
        scores[f"current_{decision.metric}"] = decision.current
        scores["improvement"] = decision.improvement
    mlflow.log_metrics(scores)
    promoted = str(decision.promote).lower()
    mlflow.set_tags({"promoted": promoted, "promotion": decision.reason})


def move_alias(run, reference: str, alias: str) -> str:
    """Online: give the candidate's W&B artifact version the alias (W&B takes it off
    the version that had it). What was done, in one line."""
    if run.offline:
        return (
            f"W&B is offline: after `wandb sync`, give the alias {alias!r} to the "
            f"candidate's version of the artifact {Path(reference).name.split(':')[0]}"
            " in the W&B app (the version's Aliases)"
        )
    if Path(reference).exists():
        return (
            f"the candidate is a local path, not a W&B artifact: give the alias "
            f"{alias!r} to its version in W&B yourself"
        )
    import wandb

    try:
        artifact = run.use_artifact(reference)
        if alias not in artifact.aliases:
            artifact.aliases.append(alias)
        artifact.save()
    except (wandb.errors.Error, ValueError) as err:
        raise StepError(
            f"--alias {alias!r}: W&B cannot move it to {reference}: "
            f"{step_io.one_line(err)}"
        ) from None
    return f"W&B: {reference} now has the alias {alias!r}"


def go(args: argparse.Namespace) -> None:
    current = Path(args.current_model or "none").name
    run_name = f"{JOB_TYPE}: {Path(args.candidate_model).name} against {current}"
    config = {
        "inputs": {
            "candidate_model": args.candidate_model,
            "current_model": args.current_model,
            "test_dataset": args.test_dataset,
        },
        "promotion": {
            "metric": args.metric,
            "min_improvement": args.min_improvement,
            "alias": args.alias,
            "registered_model": args.registered_model,
        },
        "parameters": step_parameters(args),
    }
    with step_io.wandb_run(JOB_TYPE, run_name, config) as run:
        check_parameters(args)
        models = {"candidate_model": args.candidate_model}
        if args.current_model:
            models["current_model"] = args.current_model
        folders, loaded = {}, {}
        for option, reference in models.items():
            folders[option] = step_io.fetch_input(run, option, reference, folder=True)
            loaded[option] = load_sklearn_model(folders[option], option, reference)
        path = step_io.fetch_input(run, "test_dataset", args.test_dataset)
        columns = {TARGET: "number"}
        for model in loaded.values():
            columns.update(dict.fromkeys(model_columns(model), "any"))
        rows = step_io.read_csv(path, "test_dataset", columns)
        parameters = step_parameters(args)
        scores = {
            option: scored(option, models[option], model, rows, parameters)
            for option, model in loaded.items()
        }
        decision = decide(
            args.metric,
            scores["candidate_model"][args.metric],
            scores["current_model"][args.metric] if args.current_model else None,
            args.min_improvement,
        )
        print(decision.reason, flush=True)
        run.summary.update(decision.summary())
        record_in_mlflow(decision)
        if decision.promote:
            version = register(folders["candidate_model"], args.registered_model)
            print(
                f"MLflow: {args.registered_model} version {version} has the alias "
                f"{CHAMPION!r}",
                flush=True,
            )
            run.summary.update(
                {"registered_model": args.registered_model, "version": version}
            )
            print(move_alias(run, args.candidate_model, args.alias), flush=True)


if __name__ == "__main__":
    sys.exit(step_io.main(build_parser, go))
