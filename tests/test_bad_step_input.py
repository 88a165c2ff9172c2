"""Bad input to a generated step, for every kind: each kind's cases live in its
folder, ``_kinds/<kind>/_bad_inputs.yaml``, and this one test runs them all, for real.

Each must exit non-zero with one line naming the option and the problem, the last
line on stderr (W&B's own lines come before it: W&B is not silenced here); finish its
W&B run as failed, the line kept in the summary, with no artifact logged; and leave
--output_dir and the step's own files as they were: nothing written, nothing
deleted."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import REPO_ROOT, finish, start_in_own_group
from wandb_log import offline_runs

pytestmark = pytest.mark.slow

KINDS_DIR = REPO_ROOT / "{{cookiecutter.project_slug | folder_name}}" / "_kinds"
CASES_FILE = "_bad_inputs.yaml"
# What the step writes while it runs, beside its own files.
RUN_LEFTOVERS = {"wandb", "__pycache__", ".pytest_cache", "mlruns"}


def kind_cases() -> list:
    cases = []
    for folder in sorted(p for p in KINDS_DIR.iterdir() if p.is_dir()):
        for number, case in enumerate(
            yaml.safe_load((folder / CASES_FILE).read_text(encoding="utf-8"))
        ):
            cases.append(pytest.param(folder.name, case, id=f"{folder.name}-{number}"))
    return cases


@pytest.fixture(scope="module")
def inputs(sample_csv, tmp_path_factory):
    """One file per kind of trouble, next to a good sample."""
    folder = tmp_path_factory.mktemp("inputs")
    good = pd.read_csv(sample_csv)
    files = {
        "good": sample_csv,
        "missing": folder / "no" / "such" / "listings.csv",
        "empty": folder / "empty.csv",
        "binary": folder / "binary.csv",
        "unclosed_quote": folder / "unclosed_quote.csv",
        "header_only": folder / "header_only.csv",
        "no_price": folder / "no_price.csv",
        "text_price": folder / "text_price.csv",
        "numeric_dates": folder / "numeric_dates.csv",
        "rf_malformed": folder / "rf_malformed.json",
        "rf_unknown_argument": folder / "rf_unknown_argument.json",
        "not_a_model": folder / "not_a_model",
        # Nothing ever writes to it: a step that opened it would wait forever.
        "fifo": folder / "fifo.csv",
    }
    files["empty"].write_text("")
    files["binary"].write_bytes(b"\xff\xfe\x00\x00garbage\x00" * 50)
    files["unclosed_quote"].write_text('a,b\n1,"unclosed\n')
    good.head(0).to_csv(files["header_only"], index=False)
    good.drop(columns="price").to_csv(files["no_price"], index=False)
    good.assign(price="free").to_csv(files["text_price"], index=False)
    good.assign(last_review=20190521).to_csv(files["numeric_dates"], index=False)
    files["rf_malformed"].write_text('{"n_estimators": 10,')
    files["rf_unknown_argument"].write_text(json.dumps({"n_trees": 10}))
    files["not_a_model"].mkdir()
    os.mkfifo(files["fifo"])
    return {name: str(path) for name, path in files.items()}


@pytest.fixture(scope="module")
def steps(cookies_session):
    kinds = sorted(p.name for p in KINDS_DIR.iterdir() if p.is_dir())
    return {
        kind: cookies_session.bake(extra_context={"step_kind": kind}).project_path
        for kind in kinds
    }


def snapshot(folder: Path, leave_out: frozenset[str] = frozenset()) -> dict:
    """Every file under ``folder`` with its bytes, but those under ``leave_out``."""
    if not folder.is_dir():
        return {}
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file() and not set(path.relative_to(folder).parts) & leave_out
    }


def command(step: Path, arguments: dict[str, str]) -> tuple[list[str], str]:
    """The step's command, as its MLproject runs it, and the name it reports under."""
    options = [f"--{name}={value}" for name, value in arguments.items()]
    if (step / "run.py").exists():
        return [sys.executable, "run.py", *options], "run.py"
    return [sys.executable, "-m", "pytest", "-vv", "test_data.py", *options], (
        "test_data.py"
    )


@pytest.mark.parametrize(("kind", "case"), kind_cases())
def test_bad_input_fails_cleanly(steps, inputs, step_env, tmp_path, kind, case):
    step = steps[kind]
    output_dir = tmp_path / "outputs"
    for name, text in case.get("existing", {}).items():
        (output_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (output_dir / name).write_text(text)
    arguments = {
        name: value.format(**inputs) for name, value in case["arguments"].items()
    }
    if "--output_dir" in (step / "MLproject").read_text():
        arguments.setdefault("output_dir", str(output_dir))
    outputs_before = snapshot(output_dir)
    own_files = snapshot(step, frozenset(RUN_LEFTOVERS))

    argv, prog = command(step, arguments)
    code, stdout, stderr = finish(
        start_in_own_group(argv, step, dict(step_env, WANDB_DIR=str(tmp_path)))
    )

    assert code == case.get("exit_code", 1), stderr[-3000:]
    assert "Traceback" not in stdout + stderr, (stdout + stderr)[-3000:]
    ours = [line for line in stderr.splitlines() if not line.startswith("wandb:")]
    assert len(ours) == 1 and stderr.splitlines()[-1] == ours[0], stderr[-3000:]
    line = ours[0]
    assert line.startswith(f"{prog}: error: ")
    for fragment in case["says"]:
        assert fragment in line

    if case.get("starts_run", True):
        (run,) = offline_runs(tmp_path)
        assert run.exit_code == 1
        assert run.artifacts == []
        assert run.summary["error"] == line.removeprefix(f"{prog}: error: ")
    else:
        assert offline_runs(tmp_path) == []
    assert snapshot(output_dir) == outputs_before
    assert snapshot(step, frozenset(RUN_LEFTOVERS)) == own_files
