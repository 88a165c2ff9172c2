"""config.yaml against the steps in components/: every block names a step, every
parameter is one the step's MLproject declares, and every input is set. A step added
to components/ fails here until its inputs (??? in its block) are set."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import main  # noqa: E402

CONFIG = OmegaConf.load(ROOT / "config.yaml")
STEPS = main.step_blocks(CONFIG)


def declared_parameters(step: str) -> dict:
    project = yaml.safe_load((main.COMPONENTS / step / "MLproject").read_text())
    return project["entry_points"]["main"]["parameters"]


def test_every_step_has_a_block():
    folders = sorted(
        folder.name for folder in main.COMPONENTS.iterdir() if main.is_step(folder.name)
    )
    assert sorted(STEPS) == folders


@pytest.mark.parametrize("step", STEPS)
def test_a_block_holds_only_the_steps_parameters(step):
    assert set(CONFIG[step]) <= set(declared_parameters(step))


@pytest.mark.parametrize("step", STEPS)
def test_every_required_parameter_is_given(step):
    required = {
        name
        for name, spec in declared_parameters(step).items()
        if "default" not in spec
    }
    assert required <= set(CONFIG[step])


@pytest.mark.parametrize("offline", [True, False], ids=["offline", "online"])
def test_every_value_is_set_and_resolves(offline, monkeypatch, tmp_path):
    if offline:
        monkeypatch.setenv("WANDB_MODE", "offline")
    else:
        monkeypatch.delenv("WANDB_MODE", raising=False)
    for step in STEPS:
        assert main.parameters(CONFIG, step, tmp_path)


def test_steps_keep_their_quotes_and_a_sweep_flag_comes_first():
    arguments = main.hydra_arguments("a,b", "etl.sample='my file.csv' x=1,2 -m")
    assert arguments == ["-m", "main.steps='a,b'", "etl.sample='my file.csv'", "x=1,2"]


@pytest.mark.parametrize("options", ["x=1,2 -m", "-m x=1,2", "--multirun x=1,2"])
def test_a_sweep_flag_goes_first_wherever_it_stands(options):
    assert main.hydra_arguments("all", options)[0] in main.HYDRA_FLAGS


def test_a_step_without_a_block_is_named():
    config = OmegaConf.merge(CONFIG, {"main": {"steps": "nonesuch"}})
    with pytest.raises(main.PipelineError, match="main.steps: nonesuch has no block"):
        main.chosen_steps(config)


def test_an_unclosed_quote_is_refused():
    with pytest.raises(main.PipelineError, match="never closed"):
        main.hydra_arguments("all", "etl.sample='my file.csv")


def test_a_value_left_unset_is_named_before_any_step_runs(tmp_path):
    step = STEPS[0]
    name = next(iter(CONFIG[step]))
    config = copy.deepcopy(CONFIG)
    config[step][name] = "???"
    with pytest.raises(main.PipelineError, match=rf"{step}\.{name} is not set"):
        main.parameters(config, step, tmp_path)


def test_overrides_after_the_options_join_hydras_command_line():
    assert main.hydra_arguments("all", "a=1", ["b=2", "-m"]) == [
        "-m",
        "main.steps='all'",
        "a=1",
        "b=2",
    ]
