"""The pipeline: each step in components/, run through MLflow in the order of
config.yaml. No edit is needed here when steps are added or removed.

    mlflow run . -P steps=all -P hydra_options="etl.max_price=500"

config.yaml is the one place the pipeline is wired. A top-level key named like a
folder of components/ is that step's block: its parameters by name, in the order the
steps run. Every other key is a group the blocks interpolate (``${etl.min_price}``).
A parameter may also name another step's output, ``${output:step}`` (the file its
``output_artifact`` names), ``${output:step,file}`` or ``${output:step,file,alias}``:
online the W&B reference ``file:alias`` (alias ``latest`` unless given), offline
(``WANDB_MODE=offline``, where W&B cannot fetch artifacts) the file that step wrote.
``${online:x}`` is x online and empty offline.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import hydra
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

ROOT = Path(__file__).resolve().parent
COMPONENTS = ROOT / "components"
ALL = "all"


class PipelineError(Exception):
    """A problem with the config or a step: one line for the user, naming what to
    set or which step failed."""


def is_step(key: str) -> bool:
    return (COMPONENTS / key / "MLproject").is_file()


def step_blocks(config: DictConfig) -> list[str]:
    """The steps, in the order their blocks come in the config."""
    return [key for key in config if is_step(key)]


def output(step: str, file: str | None = None, alias: str = "latest", *, _root_):
    """``${output:step[,file[,alias]]}``: an earlier step's output."""
    if step not in _root_ or not is_step(step):
        raise PipelineError(
            f"${{output:{step}}}: no step block {step} (a folder of components/) in "
            "config.yaml"
        )
    block = _root_[step]
    file = file or block.get("output_artifact")
    if not file:
        raise PipelineError(
            f"${{output:{step}}}: {step} has no output_artifact; name the file, "
            f"${{output:{step},FILE}}"
        )
    if is_offline():
        folder = COMPONENTS / step / block.get("output_dir", "outputs")
        return str((folder / file).resolve())
    return f"{file}:{alias}"


# W&B's modes in which no artifact can be fetched: each step gets local files.
LOCAL_MODES = ("offline", "dryrun", "disabled")


def is_offline() -> bool:
    return os.environ.get("WANDB_MODE", "").lower() in LOCAL_MODES


def online_only(value: str) -> str:
    """``${online:x}``: x online; empty offline, where W&B cannot fetch it (for an
    input that may be empty, such as the model in use before the first promotion)."""
    return "" if is_offline() else value


def project_path(value: str) -> str:
    """``${project_path:x}``: a relative path taken from the project's root (each step
    runs in its own folder); URLs and absolute paths pass as written."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value) or Path(value).is_absolute():
        return value
    return str(ROOT / value)


OmegaConf.register_new_resolver("output", output)
OmegaConf.register_new_resolver("project_path", project_path)
OmegaConf.register_new_resolver("online", online_only)


def chosen_steps(config: DictConfig) -> list[str]:
    """The steps ``main.steps`` names (``all``: every block), in chain order."""
    available = step_blocks(config)
    asked = str(config.main.steps).strip()
    if asked == ALL:
        return available
    names = [name.strip() for name in asked.split(",") if name.strip()]
    for name in names:
        if name not in available:
            raise PipelineError(
                f"main.steps: {name} has no block in config.yaml"
                + ("" if is_step(name) else f" and no folder components/{name}")
                + f"; add a block {name}: with its parameters, or run one of "
                + ", ".join(available)
            )
    return [name for name in available if name in names]


def parameters(config: DictConfig, step: str, scratch: Path) -> dict[str, str]:
    """The step's block as MLflow parameters (text); a group of values (such as the
    forest's settings) is written to a JSON file and passed as its path."""
    block = config[step]
    values = {}
    for name in block:
        try:
            value = block[name]
        except MissingMandatoryValue:
            raise PipelineError(
                f"{step}.{name} is not set (???): set it in config.yaml, or pass "
                f'-P hydra_options="{step}.{name}=VALUE"'
            ) from None
        except OmegaConfBaseException as err:
            raise PipelineError(f"{step}.{name}: {one_line(err)}") from None
        if value is None:
            continue  # the step's own default
        if isinstance(value, DictConfig | ListConfig):
            path = scratch / f"{step}.{name}.json"
            path.write_text(json.dumps(OmegaConf.to_container(value, resolve=True)))
            value = path
        values[name] = str(value)
    return values


def one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def sweep_outputs(config: DictConfig, steps: list[str]) -> None:
    """In a sweep (``-m``), each job writes the outputs of the steps it runs under its
    own Hydra folder, so that no job overwrites another's model or data; steps it
    does not run are read where they are."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    hydra_config = HydraConfig.get()
    if hydra_config.mode != RunMode.MULTIRUN:
        return
    job_folder = Path(hydra_config.runtime.output_dir)
    for step in steps:
        if "output_dir" in config[step]:
            config[step].output_dir = str(job_folder / step / "outputs")


def run_pipeline(config: DictConfig) -> None:
    import mlflow

    # Every step's W&B run joins one project and one group.
    os.environ["WANDB_PROJECT"] = str(config.main.project_name)
    if config.main.get("entity"):
        os.environ["WANDB_ENTITY"] = str(config.main.entity)
    os.environ["WANDB_RUN_GROUP"] = str(config.main.experiment_name)
    steps = chosen_steps(config)
    sweep_outputs(config, steps)
    with tempfile.TemporaryDirectory() as scratch:
        # Every block is checked before the first step runs.
        planned = {step: parameters(config, step, Path(scratch)) for step in steps}
        for step, values in planned.items():
            print(f"=== {step}", flush=True)
            try:
                submitted = mlflow.run(
                    str(COMPONENTS / step),
                    "main",
                    parameters=values,
                    env_manager=config.main.get("env_manager"),
                    experiment_name=str(config.main.experiment_name),
                )
            except mlflow.exceptions.ExecutionException as err:
                raise PipelineError(
                    f"step {step} failed ({one_line(err)}); its own error is above"
                ) from None
            metrics = mlflow.get_run(submitted.run_id).data.metrics
            if metrics:
                scores = " ".join(f"{k}={v:.4g}" for k, v in sorted(metrics.items()))
                print(f"=== {step}: {scores}", flush=True)


@hydra.main(config_path=".", config_name="config", version_base=None)
def go(config: DictConfig) -> None:
    try:
        run_pipeline(config)
    except PipelineError as err:
        sys.exit(f"pipeline: {err}")


# Hydra's own options that take no value, kept apart from the overrides.
HYDRA_FLAGS = ("-m", "--multirun")
# A token: runs of unquoted text and quoted strings, quotes kept for Hydra to read.
TOKEN = re.compile(r"""(?:[^\s'"]+|'[^']*'|"[^"]*")+""")


def hydra_arguments(
    steps: str, hydra_options: str, extra: list[str] | tuple = ()
) -> list[str]:
    """Hydra's command line from the MLproject parameters: ``hydra_options`` split
    as a shell would, but keeping its quotes for Hydra (``etl.sample='my file.csv'``),
    ``-m`` first wherever it stood, and ``steps`` as one quoted value (unquoted,
    Hydra reads ``a,b`` as a sweep)."""
    if TOKEN.sub("", hydra_options).strip():
        raise PipelineError(
            f"hydra_options: {hydra_options!r} has a quote that is never closed"
        )
    tokens = [*TOKEN.findall(hydra_options), *extra]
    flags = [token for token in tokens if token in HYDRA_FLAGS]
    overrides = [token for token in tokens if token not in HYDRA_FLAGS]
    quoted = steps.replace("\\", "\\\\").replace("'", "\\'")
    return [*flags[:1], f"main.steps='{quoted}'", *overrides]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps", default=ALL, help="steps to run, comma-separated, or all"
    )
    parser.add_argument(
        "--hydra_options", default="", help="Hydra overrides, and -m for a sweep"
    )
    # Hydra overrides may also follow, as for any Hydra app: python main.py etl.x=1
    args, overrides = parser.parse_known_args()
    try:
        arguments = hydra_arguments(args.steps, args.hydra_options, overrides)
    except PipelineError as err:
        sys.exit(f"pipeline: {err}")
    sys.argv = [sys.argv[0], *arguments]
    go()


if __name__ == "__main__":
    main()
