"""Bad input to a generated step, for every kind: a missing, empty, unreadable or
wrong-shaped file, a nonsense parameter, a W&B reference while offline. Each must
exit non-zero with one line naming the input and the problem, finish its W&B run as
failed with no artifact logged, and leave no output file, whole or partial."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from component_checks import KIND_FILES
from wandb_log import offline_runs

pytestmark = pytest.mark.slow

MISSING = "/no/such/listings.csv"


@pytest.fixture(scope="module")
def inputs(sample_csv, tmp_path_factory):
    """One file per kind of trouble, next to a good sample."""
    folder = tmp_path_factory.mktemp("inputs")
    good = pd.read_csv(sample_csv)
    files = {
        "good": sample_csv,
        "empty": folder / "empty.csv",
        "binary": folder / "binary.csv",
        "header_only": folder / "header_only.csv",
        "no_price": folder / "no_price.csv",
        "text_price": folder / "text_price.csv",
        "rf_malformed": folder / "rf_malformed.json",
        "rf_unknown_argument": folder / "rf_unknown_argument.json",
        "not_a_model": folder / "not_a_model",
    }
    files["empty"].write_text("")
    files["binary"].write_bytes(b"\xff\xfe\x00\x00garbage\x00" * 50)
    good.head(0).to_csv(files["header_only"], index=False)
    good.drop(columns="price").to_csv(files["no_price"], index=False)
    good.assign(price="free").to_csv(files["text_price"], index=False)
    files["rf_malformed"].write_text('{"n_estimators": 10,')
    files["rf_unknown_argument"].write_text(json.dumps({"n_trees": 10}))
    files["not_a_model"].mkdir()
    return {name: str(path) for name, path in files.items()}


@pytest.fixture(scope="module")
def steps(cookies_session):
    return {
        kind: cookies_session.bake(extra_context={"step_kind": kind}).project_path
        for kind in KIND_FILES
    }


CASES = [
    # kind, arguments (a {name} is a file of the inputs fixture), what the line says
    ("generic", {"input_artifact": MISSING}, "--input_artifact", "no such local path"),
    ("generic", {"input_artifact": "{empty}"}, "--input_artifact", "the file is empty"),
    ("generic", {"input_artifact": "{binary}"}, "--input_artifact", "not a readable"),
    ("generic", {"input_artifact": "{header_only}"}, "--input_artifact", "no rows"),
    (
        "generic",
        {"input_artifact": "raw_data.csv:latest"},
        "--input_artifact",
        "W&B is offline",
    ),
    (
        "basic_cleaning",
        {"input_artifact": "{no_price}"},
        "--input_artifact",
        "missing column(s) price",
    ),
    (
        "basic_cleaning",
        {"input_artifact": "{text_price}"},
        "--input_artifact",
        "price should hold numbers",
    ),
    (
        "basic_cleaning",
        {"input_artifact": "{good}", "min_price": "20000", "max_price": "30000"},
        "--input_artifact",
        "no rows left",
    ),
    (
        "basic_cleaning",
        {"input_artifact": "{good}", "min_price": "300", "max_price": "100"},
        "--min_price",
        "--max_price",
    ),
    ("data_split", {"input": "{good}", "test_size": "1.5"}, "--test_size", "1.5"),
    ("data_split", {"input": "{good}", "test_size": "0"}, "--test_size", "0"),
    ("data_split", {"input": "{good}", "stratify_by": "nope"}, "--stratify_by", "nope"),
    ("data_split", {"input": "{empty}"}, "--input", "the file is empty"),
    (
        "train_random_forest",
        {"trainval_artifact": "{good}", "rf_config": "/no/such/rf.json"},
        "--rf_config",
        "no such file",
    ),
    (
        "train_random_forest",
        {"trainval_artifact": "{good}", "rf_config": "{rf_malformed}"},
        "--rf_config",
        "not valid JSON",
    ),
    (
        "train_random_forest",
        {"trainval_artifact": "{good}", "rf_config": "{rf_unknown_argument}"},
        "--rf_config",
        "n_trees",
    ),
    (
        "train_random_forest",
        {"trainval_artifact": "{good}", "val_size": "2"},
        "--val_size",
        "2",
    ),
    (
        "train_random_forest",
        {"trainval_artifact": "{no_price}"},
        "--trainval_artifact",
        "missing column(s) price",
    ),
    (
        "test_regression_model",
        {"mlflow_model": "/no/such/model", "test_dataset": "{good}"},
        "--mlflow_model",
        "no such local path",
    ),
    (
        "test_regression_model",
        {"mlflow_model": "{not_a_model}", "test_dataset": "{good}"},
        "--mlflow_model",
        "",
    ),
    (
        "test_regression_model",
        {"mlflow_model": "random_forest_export:prod", "test_dataset": "{good}"},
        "--mlflow_model",
        "W&B is offline",
    ),
    ("data_check", {"csv": MISSING, "ref": "{good}"}, "--csv", "no such local path"),
    ("data_check", {"csv": "{empty}", "ref": "{good}"}, "--csv", "the file is empty"),
    (
        "data_check",
        {"csv": "{good}", "ref": "clean_sample.csv:reference"},
        "--ref",
        "W&B is offline",
    ),
    (
        "data_check",
        {"csv": "{good}", "ref": "{good}", "min_price": "300", "max_price": "100"},
        "--min_price",
        "--max_price",
    ),
]


def command(kind: str, arguments: dict[str, str], output_dir) -> list[str]:
    options = [f"--{name}={value}" for name, value in arguments.items()]
    if kind == "data_check":  # as its MLproject runs it
        return [sys.executable, "-m", "pytest", "-vv", "test_data.py", *options]
    if kind != "test_regression_model":  # it writes no file
        options.append(f"--output_dir={output_dir}")
    return [sys.executable, "run.py", *options]


@pytest.mark.parametrize(
    ("kind", "arguments", "option", "problem"),
    CASES,
    ids=[f"{c[0]}-{c[2]}-{c[3] or 'bad'}" for c in CASES],
)
def test_bad_input_fails_cleanly(
    steps, inputs, step_env, tmp_path, kind, arguments, option, problem
):
    arguments = {name: value.format(**inputs) for name, value in arguments.items()}
    output_dir = tmp_path / "outputs"
    result = subprocess.run(
        command(kind, arguments, output_dir),
        cwd=steps[kind],
        env=dict(step_env, WANDB_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    said = result.stdout + result.stderr
    assert "Traceback" not in said
    # W&B's own lines are left out: the run summary it prints repeats the error.
    if kind == "data_check":  # pytest reports on stdout
        lines = [
            line
            for line in said.splitlines()
            if option in line and not line.startswith("wandb:")
        ]
    else:
        lines = [
            line for line in result.stderr.splitlines() if not line.startswith("wandb:")
        ]
    assert len(lines) == 1, said[-3000:]
    assert option in lines[0] and problem in lines[0]

    (run,) = offline_runs(tmp_path)
    assert run.exit_code == 1
    assert run.artifacts == []
    assert not output_dir.exists() or list(output_dir.rglob("*")) == []
