"""What one step's pictures cost: building its tables, histograms or plots and logging
them to an offline W&B run, as the step does once per run.

    python bench/pictures_cost.py KIND STEP_DIR LISTINGS.csv

Run in a fresh process per measurement, so that a plotting library's import counts,
as it does in the step. Prints the seconds, on one line; the data the pictures show
is prepared first, from the listings, and not counted.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import wandb
from step_io.pictures import Tally


def step_module(step: Path):
    spec = importlib.util.spec_from_file_location("step_run", step / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def predicted(rows: pd.DataFrame, share: float) -> pd.DataFrame:
    """A model's predictions on ``share`` of the rows: the actual price, blurred."""
    held_out = rows.sample(frac=share, random_state=1)
    noise = np.random.default_rng(1).normal(1.0, 0.3, len(held_out))
    table = pd.DataFrame(
        {
            "name": held_out["name"].astype("string").fillna(""),
            "actual": held_out["price"].to_numpy(),
            "predicted": held_out["price"].to_numpy() * noise,
        }
    )
    table["residual"] = table["actual"] - table["predicted"]
    return table


def main() -> None:
    kind, step, listings = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    module = step_module(step)
    rows = pd.read_csv(listings)
    run = wandb.init(job_type="bench", name=f"pictures: {kind}")
    if kind == "basic_cleaning":
        cleaned = module.clean(rows, 10, 350)
        start = time.perf_counter()
        tally = Tally("price")  # what the step keeps of the blocks as they pass
        tally.add(rows, cleaned)
        run.log(tally.pictures())
    elif kind == "data_split":
        test = rows.sample(frac=0.2, random_state=1)
        trainval = rows.drop(test.index)
        start = time.perf_counter()
        sizes = module.split_sizes(trainval, test, "neighbourhood_group")
        run.log({"split_sizes": wandb.Table(dataframe=sizes)})
    elif kind == "train_random_forest":
        validation = predicted(rows, 0.8 * 0.2)
        importance = pd.Series(
            np.linspace(0.3, 0.01, 9), index=[f"column {i}" for i in range(9)]
        )
        start = time.perf_counter()
        figure = module.plot_feature_importance(importance)
        versus = module.plot_predicted_vs_actual(
            validation["actual"], validation["predicted"]
        )
        run.log(
            {
                "feature_importance": wandb.Image(figure),
                "predicted_vs_actual": wandb.Image(versus),
            }
        )
    elif kind == "test_regression_model":
        test = predicted(rows, 0.2)
        start = time.perf_counter()
        versus, spread = module.plot_predictions(test)
        run.log(
            {
                "predicted_vs_actual": wandb.Image(versus),
                "residuals": wandb.Image(spread),
                "worst_predictions": wandb.Table(dataframe=module.worst(test)),
            }
        )
    else:
        raise SystemExit(f"pictures_cost.py: no pictures known for {kind!r}")
    seconds = time.perf_counter() - start
    run.finish()
    print(f"{seconds:.4f}")


if __name__ == "__main__":
    main()
