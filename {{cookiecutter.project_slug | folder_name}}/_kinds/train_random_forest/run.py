#!/usr/bin/env python
"""An MLflow step: train a random forest that prices listings (a scikit-learn pipeline
from a listing's columns to a RandomForestRegressor, grown a few trees at a time so
that W&B charts the validation scores against the forest's size) and export it as an
MLflow model logged to W&B. README.md says how to run it; rf_config.json holds the
forest's default arguments; the package step_io holds the wiring steps share."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import step_io
from step_io import StepError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from matplotlib.figure import Figure
    from sklearn.pipeline import Pipeline

{% include "identity.py.j2" %}

{% include "arguments.py.j2" %}

TARGET = "price"
# Ordered by how much of the home a guest gets, so that the code itself carries meaning
# for the trees' splits; a room type not seen here is coded -1.
ROOM_TYPES = ["Shared room", "Private room", "Entire home/apt"]
ORDINAL_CATEGORICAL = ["room_type"]
# Boroughs have no order, so each gets its own column.
NOMINAL_CATEGORICAL = ["neighbourhood_group"]
# A missing count or rate means none: reviews_per_month is empty for a listing that
# was never reviewed.
ZERO_IMPUTED = [
    "minimum_nights",
    "number_of_reviews",
    "reviews_per_month",
    "calculated_host_listings_count",
    "availability_365",
    "longitude",
    "latitude",
]
REVIEW_DATE = "last_review"
TITLE = "name"
FEATURES = [
    *ORDINAL_CATEGORICAL,
    *NOMINAL_CATEGORICAL,
    *ZERO_IMPUTED,
    REVIEW_DATE,
    TITLE,
]
# A listing never reviewed counts as last reviewed long before any real review.
NEVER_REVIEWED = "2010-01-01"
# r2 needs two rows, and a forest trained on a single row learns nothing.
MIN_ROWS_PER_PART = 2


def input_columns(stratify_by: str) -> dict[str, str]:
    """The columns the step reads, with their kind, as step_io.read_csv checks them."""
    columns = {name: "text" for name in FEATURES}
    columns.update({name: "number" for name in [*ZERO_IMPUTED, TARGET]})
    if stratify_by != "none":
        columns.setdefault(stratify_by, "any")
    return columns


# The data logic: plain functions on DataFrames, testable without W&B or files.


def load_rf_config(path: str) -> dict[str, object]:
    """The RandomForestRegressor arguments in the JSON file at ``path``, checked."""
    from sklearn.ensemble import RandomForestRegressor

    if Path(path).exists():
        step_io.check_regular_file("rf_config", Path(path), path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StepError(f"--rf_config {path!r}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise StepError(
            f"--rf_config {path!r}: cannot read it: {step_io.one_line(err)}"
        ) from None
    try:
        config = json.loads(text)
    except json.JSONDecodeError as err:
        raise StepError(
            f"--rf_config {path!r}: not valid JSON: {step_io.one_line(err)}"
        ) from None
    if not isinstance(config, dict):
        raise StepError(
            f"--rf_config {path!r}: holds a JSON {type(config).__name__}, not an "
            "object of RandomForestRegressor arguments"
        )
    try:
        # scikit-learn checks argument values only when fitting; this runs the same
        # check now, so a typo fails before any data is read.
        RandomForestRegressor(**config)._validate_params()
    except (TypeError, ValueError) as err:
        raise StepError(
            f"--rf_config {path!r}: RandomForestRegressor refuses it: "
            f"{step_io.one_line(err)}"
        ) from None
    return config


def split(
    rows: pd.DataFrame, val_size: float, random_seed: int, stratify_by: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows to train on and the rows held out to validate, as train_test_split
    draws them, stratified by a column unless ``stratify_by`` is none."""
    from sklearn.model_selection import train_test_split

    val_count = math.ceil(val_size * len(rows))  # as train_test_split rounds it
    train_count = len(rows) - val_count
    if min(val_count, train_count) < MIN_ROWS_PER_PART:
        raise StepError(
            f"--val_size {val_size!r}: {len(rows)} rows split into {train_count} to "
            f"train and {val_count} to validate; each needs at least "
            f"{MIN_ROWS_PER_PART}"
        )
    # A missing value is a class of its own: a split cannot sort NaN among labels.
    labels = None
    if stratify_by != "none":
        labels = rows[stratify_by].astype("string").fillna("<missing>")
    try:
        return train_test_split(
            rows, test_size=val_size, random_state=random_seed, stratify=labels
        )
    except ValueError as err:
        raise StepError(
            f"--stratify_by {stratify_by!r}: cannot stratify by it: "
            f"{step_io.one_line(err)}"
        ) from None


def features_and_target(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The model's input columns, and the prices it learns to predict."""
    # Whole-number columns are read as floats, so the model's signature accepts the
    # missing values the same columns may hold in data scored later.
    features = rows[FEATURES].astype({name: "float64" for name in ZERO_IMPUTED})
    return features, rows[TARGET]


def latest_date(dates: pd.Series) -> str:
    """The latest date among ``dates`` (ISO text), or NEVER_REVIEWED if none reads."""
    import pandas as pd

    latest = pd.to_datetime(dates, format="ISO8601", errors="coerce").max()
    return NEVER_REVIEWED if pd.isna(latest) else latest.strftime("%Y-%m-%d")


def days_before(dates: np.ndarray, latest: str) -> np.ndarray:
    """Days from each date of a one-column array of ISO dates to ``latest``; NaN
    where a date is missing or does not read.

    ``latest`` is the latest review of the training rows, fixed when the pipeline is
    built, so a listing gets the same feature whether it is scored alone or in a batch.
    """
    import numpy as np
    import pandas as pd

    parsed = pd.to_datetime(
        pd.Series(np.ravel(dates)), format="ISO8601", errors="coerce"
    )
    days = (pd.Timestamp(latest) - parsed).dt.days
    return days.to_numpy(dtype="float64").reshape(-1, 1)


def texts(titles: np.ndarray) -> np.ndarray:
    """A one-column array of titles as the 1-D array of texts TfidfVectorizer reads,
    a missing title (NaN or None) as empty text."""
    import numpy as np
    import pandas as pd

    return pd.Series(np.ravel(titles), dtype=object).fillna("").astype(str).to_numpy()


def build_pipeline(
    rf_config: dict[str, object],
    max_tfidf_features: int,
    latest_review: str,
    parameters: dict[str, object] | None = None,
) -> Pipeline:
    """Features from a listing's columns, then a random forest built from
    ``rf_config``; ``latest_review`` is the date review ages are counted to.
    ``parameters``, the step's own parameters by name."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder

    ordinal = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OrdinalEncoder(
            categories=[ROOM_TYPES],
            handle_unknown="use_encoded_value",
            unknown_value=-1,
        ),
    )
    nominal = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore"),
    )
    zero_imputed = SimpleImputer(strategy="constant", fill_value=0)
    # Ages are imputed once computed, when a missing date is NaN whether the data
    # marked it with NaN or None (an imputer on the dates would see only NaN).
    never_reviewed = (pd.Timestamp(latest_review) - pd.Timestamp(NEVER_REVIEWED)).days
    review_age = make_pipeline(
        FunctionTransformer(days_before, kw_args={"latest": latest_review}),
        SimpleImputer(strategy="constant", fill_value=never_reviewed),
    )
    title = make_pipeline(
        FunctionTransformer(texts),
        TfidfVectorizer(max_features=max_tfidf_features, stop_words="english"),
    )
    preprocessor = ColumnTransformer(
        [
            ("ordinal", ordinal, ORDINAL_CATEGORICAL),
            ("nominal", nominal, NOMINAL_CATEGORICAL),
            ("zero_imputed", zero_imputed, ZERO_IMPUTED),
            ("review_age", review_age, [REVIEW_DATE]),
            ("title", title, [TITLE]),
        ],
        remainder="drop",
        sparse_threshold=0,
    )
    return Pipeline(
        [
            ("preprocessor", preprocessor),
            ("random_forest", RandomForestRegressor(**rf_config)),
        ]
    )


def forest_sizes(n_estimators: int, log_every: int) -> list[int]:
    """The number of trees after each growth step, the last one ``n_estimators``."""
    return [*range(log_every, n_estimators, log_every), n_estimators]


def train(
    pipeline: Pipeline,
    train_features: pd.DataFrame,
    train_target: pd.Series,
    val_features: pd.DataFrame,
    val_target: pd.Series,
    log_every: int,
    report: Callable[[dict[str, float]], object],
) -> Pipeline:
    """Fit ``pipeline``, growing its forest ``log_every`` trees at a time, and call
    ``report`` after each step with the number of trees and the validation scores."""
    from sklearn.metrics import mean_absolute_error, r2_score
    from tqdm import tqdm

    preprocessor = pipeline.named_steps["preprocessor"]
    forest = pipeline.named_steps["random_forest"]
    # The features do not change as the forest grows: compute them once.
    train_matrix = preprocessor.fit_transform(train_features, train_target)
    val_matrix = preprocessor.transform(val_features)
    n_estimators, warm_start = forest.n_estimators, forest.warm_start
    forest.set_params(warm_start=True)
    # The forest's growth on the console too, as W&B charts it: a bar on stderr in a
    # terminal (disable=None), nothing in a log, where a bar is only noise.
    bar = tqdm(total=n_estimators, desc="trees", unit="tree", disable=None)
    with bar:
        for trees in forest_sizes(n_estimators, log_every):
            forest.set_params(n_estimators=trees).fit(train_matrix, train_target)
            predicted = forest.predict(val_matrix)
            scores = {
                "trees": trees,
                "val_mae": mean_absolute_error(val_target, predicted),
                "val_r2": r2_score(val_target, predicted),
            }
            report(scores)
            bar.set_postfix(val_r2=f"{scores['val_r2']:.3f}")
            bar.update(trees - bar.n)
    # The exported model keeps the arguments rf_config gave it.
    forest.set_params(warm_start=warm_start)
    return pipeline


def evaluate(
    pipeline: Pipeline, features: pd.DataFrame, target: pd.Series
) -> dict[str, float]:
    """r2, mae, mse and rmse of the pipeline's predictions for ``features``."""
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    predicted = pipeline.predict(features)
    mse = mean_squared_error(target, predicted)
    return {
        "r2": r2_score(target, predicted),
        "mae": mean_absolute_error(target, predicted),
        "mse": mse,
        "rmse": math.sqrt(mse),
    }


def feature_importance(pipeline: Pipeline) -> pd.Series:
    """The forest's feature importances by input column, largest first: a column
    encoded as several features (the title's TF-IDF terms, the one-hot boroughs)
    counts as one, with the sum of their importances."""
    import pandas as pd

    preprocessor = pipeline.named_steps["preprocessor"]
    importances = pipeline.named_steps["random_forest"].feature_importances_
    by_column = {}
    for name, _, columns in preprocessor.transformers_:
        block = importances[preprocessor.output_indices_[name]]
        if len(block) == 0:
            continue
        if len(columns) == len(block):
            by_column.update(zip(columns, block, strict=True))
        else:
            by_column[columns[0] if len(columns) == 1 else name] = block.sum()
    return pd.Series(by_column, name="importance").sort_values(ascending=False)


def plot_feature_importance(importance: pd.Series) -> Figure:
    """A bar per input column, the most important at the top."""
    import matplotlib

    matplotlib.use("Agg")  # draws to memory: no display is needed, or used
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 0.4 * len(importance) + 1.5))
    ordered = importance.sort_values()
    axes.barh(ordered.index, ordered.to_numpy())
    axes.set_xlabel("importance (mean decrease in impurity)")
    axes.set_title("Feature importance, by input column")
    figure.tight_layout()
    return figure


def plot_predicted_vs_actual(actual: pd.Series, predicted) -> Figure:
    """Predicted against actual price on the validation set; the diagonal is a
    perfect model."""
    import matplotlib

    matplotlib.use("Agg")  # draws to memory: no display is needed, or used
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 6))
    axes.scatter(actual, predicted, s=6, alpha=0.5)
    top = float(max(actual.max(), max(predicted)))
    axes.plot([0, top], [0, top], color="grey", linewidth=1)
    axes.set_xlabel("actual price")
    axes.set_ylabel("predicted price")
    axes.set_title("Predicted against actual price, validation set")
    figure.tight_layout()
    return figure


def export_model(pipeline: Pipeline, example: pd.DataFrame, path: Path) -> None:
    """Save ``pipeline`` as an MLflow model in the new folder ``path``, with a
    signature and input example taken from the rows of ``example``."""
    import cloudpickle
    import mlflow.sklearn
    from mlflow.models import infer_signature

    # The pipeline calls days_before() and texts() of this file. cloudpickle stores
    # them by value, inside the model, so the model loads without this run.py (the
    # step that scores it has a run.py of its own); skops, MLflow's default format,
    # and plain pickle would store only their names.
    cloudpickle.register_pickle_by_value(sys.modules[days_before.__module__])
    mlflow.sklearn.save_model(
        pipeline,
        str(path),
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
        signature=infer_signature(example, pipeline.predict(example)),
        input_example=example.head(5),
    )


# The wiring: W&B and files around the data logic.


def check_parameters(args: argparse.Namespace) -> dict[str, object]:
    """Refuse nonsense, before any data is read; return the forest's arguments."""
    step_io.check_output_name("output_artifact", args.output_artifact)
    step_io.check_random_seed("random_seed", args.random_seed)
    if not 0 < args.val_size < 1:
        raise StepError(f"--val_size {args.val_size!r}: must be between 0 and 1")
    if args.log_every < 1:
        raise StepError(f"--log_every {args.log_every!r}: must be 1 or more")
    if args.max_tfidf_features < 1:
        raise StepError(
            f"--max_tfidf_features {args.max_tfidf_features!r}: must be 1 or more"
        )
    return load_rf_config(args.rf_config)


def go(args: argparse.Namespace) -> None:
    source = Path(args.trainval_artifact).name
    run_name = f"{JOB_TYPE}: {source} -> {args.output_artifact}"
    config = {
        "data": {
            "trainval_artifact": args.trainval_artifact,
            "output_artifact": args.output_artifact,
            "output_dir": args.output_dir,
        },
        "model": {
            "rf_config": args.rf_config,
            "max_tfidf_features": args.max_tfidf_features,
        },
        "training": {
            "val_size": args.val_size,
            "random_seed": args.random_seed,
            "stratify_by": args.stratify_by,
            "log_every": args.log_every,
        },
        "parameters": step_parameters(args),
    }
    with step_io.wandb_run(JOB_TYPE, run_name, config) as run:
        # Checked inside the run, so that a bad value shows in W&B as a failed run.
        rf_config = check_parameters(args)
        # The run's config shows the forest as it is built, not the file it came from.
        model = {**rf_config, "max_tfidf_features": args.max_tfidf_features}
        run.config.update({"model": model}, allow_val_change=True)
        import matplotlib.pyplot as plt
        import wandb

        with step_io.Outputs(run, args.output_dir) as outputs:
            output = outputs.claim(
                args.output_artifact, "output_artifact", is_folder=True
            )
            path = step_io.fetch_input(run, "trainval_artifact", args.trainval_artifact)
            columns = input_columns(args.stratify_by)
            rows = step_io.read_csv(path, "trainval_artifact", columns)
            train_rows, val_rows = split(
                rows, args.val_size, args.random_seed, args.stratify_by
            )
            train_features, train_target = features_and_target(train_rows)
            val_features, val_target = features_and_target(val_rows)
            pipeline = build_pipeline(
                rf_config,
                args.max_tfidf_features,
                latest_date(train_features[REVIEW_DATE]),
                parameters=step_parameters(args),
            )
            # The training curve is drawn against the size of the forest.
            run.define_metric("trees")
            run.define_metric("val_*", step_metric="trees")
            data = (train_features, train_target, val_features, val_target)
            try:
                train(pipeline, *data, args.log_every, report=run.log)
            except ValueError as err:
                # Such as titles that hold no word TF-IDF keeps, in every row.
                raise StepError(
                    f"--trainval_artifact {args.trainval_artifact!r}: cannot train on "
                    f"it: {step_io.one_line(err)}"
                ) from None
            metrics = evaluate(pipeline, val_features, val_target)
            run.summary.update(metrics)
            importance = feature_importance(pipeline)
            predicted = pipeline.predict(val_features)
            figures = {
                "feature_importance": plot_feature_importance(importance),
                "predicted_vs_actual": plot_predicted_vs_actual(val_target, predicted),
            }
            run.log({key: wandb.Image(figure) for key, figure in figures.items()})
            for figure in figures.values():
                plt.close(figure)
            outputs.write(output, lambda to: export_model(pipeline, val_features, to))
            outputs.log(
                output,
                "model_export",
                "Random forest price model, with its preprocessing, as an MLflow model",
                step=STEP_NAME,
                input=args.trainval_artifact,
                train_rows=len(train_rows),
                val_rows=len(val_rows),
                **{f"val_{name}": value for name, value in metrics.items()},
            )


if __name__ == "__main__":
    sys.exit(step_io.main(build_parser, go))
