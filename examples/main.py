"""The example pipeline: the rendered steps, run in order through MLflow.

    WANDB_MODE=offline python examples/main.py [hydra overrides]

Each step's output feeds the next. Online, steps pass W&B artifact references, as the
documented pipeline does; offline, where W&B cannot fetch artifacts, they pass the
local files the previous step wrote. It ends by printing the test-set r2 and mae.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import hydra
import mlflow
from omegaconf import DictConfig, OmegaConf

HERE = Path(__file__).resolve().parent
STEPS = (
    "basic_cleaning",
    "data_check",
    "data_split",
    "train_random_forest",
    "test_regression_model",
)


class Pipeline:
    """Where each step's inputs come from, online or offline."""

    def __init__(self, config: DictConfig):
        self.config = config
        self.steps_dir = (HERE / config.main.steps_dir).resolve()
        self.offline = os.environ.get("WANDB_MODE") == "offline"

    def step(self, name: str) -> str:
        return str(self.steps_dir / name)

    def output(self, step: str, artifact: str, online: str) -> str:
        """An earlier step's output: its W&B reference, or its local file offline."""
        if self.offline:
            return str(self.steps_dir / step / "outputs" / artifact)
        return online

    def raw_data(self) -> str:
        if self.offline:
            return str((HERE / self.config.main.raw_data).resolve())
        return self.config.main.raw_artifact

    def run(self, name: str, parameters: dict) -> mlflow.projects.SubmittedRun:
        print(f"=== {name}", flush=True)
        return mlflow.run(
            self.step(name),
            "main",
            parameters={key: str(value) for key, value in parameters.items()},
            env_manager="local",
            experiment_name=self.config.main.experiment_name,
        )


@hydra.main(config_path=".", config_name="config", version_base=None)
def go(config: DictConfig) -> None:
    # Every step's W&B run joins one project and one group.
    os.environ["WANDB_PROJECT"] = config.main.project_name
    os.environ["WANDB_RUN_GROUP"] = config.main.experiment_name
    steps = STEPS if config.main.steps == "all" else config.main.steps.split(",")
    pipeline = Pipeline(config)
    clean = pipeline.output(
        "basic_cleaning", "clean_sample.csv", "clean_sample.csv:latest"
    )

    if "basic_cleaning" in steps:
        pipeline.run(
            "basic_cleaning",
            {
                "input_artifact": pipeline.raw_data(),
                "output_artifact": "clean_sample.csv",
                "output_type": "clean_sample",
                "output_description": "Listings with outliers removed",
                "min_price": config.etl.min_price,
                "max_price": config.etl.max_price,
            },
        )
    if "data_check" in steps:
        pipeline.run(
            "data_check",
            {
                "csv": clean,
                "ref": clean if pipeline.offline else config.data_check.ref_artifact,
                "kl_threshold": config.data_check.kl_threshold,
                "min_price": config.etl.min_price,
                "max_price": config.etl.max_price,
                "min_rows": config.data_check.min_rows,
                "max_rows": config.data_check.max_rows,
            },
        )
    if "data_split" in steps:
        pipeline.run(
            "data_split",
            {
                "input": clean,
                "test_size": config.modeling.test_size,
                "random_seed": config.modeling.random_seed,
                "stratify_by": config.modeling.stratify_by,
            },
        )
    split = "data_split"
    model = pipeline.output(
        "train_random_forest", "random_forest_export", "random_forest_export:latest"
    )
    if "train_random_forest" in steps:
        with tempfile.TemporaryDirectory() as folder:
            rf_config = Path(folder) / "rf_config.json"
            forest = OmegaConf.to_container(config.modeling.random_forest)
            rf_config.write_text(json.dumps(forest))
            pipeline.run(
                "train_random_forest",
                {
                    "trainval_artifact": pipeline.output(
                        split, "trainval_data.csv", "trainval_data.csv:latest"
                    ),
                    "val_size": config.modeling.val_size,
                    "random_seed": config.modeling.random_seed,
                    "stratify_by": config.modeling.stratify_by,
                    "rf_config": rf_config,
                    "max_tfidf_features": config.modeling.max_tfidf_features,
                    "log_every": config.modeling.log_every,
                    "output_artifact": "random_forest_export",
                },
            )
    if "test_regression_model" in steps:
        submitted = pipeline.run(
            "test_regression_model",
            {
                "mlflow_model": model,
                "test_dataset": pipeline.output(
                    split, "test_data.csv", "test_data.csv:latest"
                ),
            },
        )
        metrics = mlflow.get_run(submitted.run_id).data.metrics
        print(f"test set: r2={metrics['r2']:.3f} mae={metrics['mae']:.2f}")


if __name__ == "__main__":
    go()
