"""Models a step reads: an MLflow model folder, as a training step exports it."""

from __future__ import annotations

from pathlib import Path

from step_io._core import StepError, one_line


def load_sklearn_model(path: Path, option: str, reference: str):
    """The scikit-learn model of the MLflow model folder ``path`` (a training step's
    export), or a StepError naming --option: not a model, or one that cannot load."""
    import mlflow.sklearn

    if not (path / "MLmodel").is_file():
        raise StepError(
            f"--{option} {reference!r}: not an MLflow model (its folder has no "
            "MLmodel file)"
        )
    try:
        return mlflow.sklearn.load_model(str(path))
    except Exception as err:  # noqa: BLE001
        # Unpickling a model can raise nearly anything (a missing module, a class that
        # moved, a truncated file); each is a bad input, told on one line.
        raise StepError(
            f"--{option} {reference!r}: cannot load it as a scikit-learn model: "
            f"{one_line(err)}"
        ) from None
