"""Render one step of each pipeline kind from this template, as a team would.

    python examples/render_steps.py [--out examples/steps]

The pipeline in main.py runs these rendered folders; nothing in them is edited by
hand, so what the pipeline proves is what the template generates.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
PIPELINE_KINDS = (
    "basic_cleaning",
    "data_check",
    "data_split",
    "train_random_forest",
    "test_regression_model",
)


def render_steps(out: Path) -> dict[str, Path]:
    """Render every pipeline kind under ``out``; returns each kind's folder."""
    folders = {}
    for kind in PIPELINE_KINDS:
        folders[kind] = Path(
            cookiecutter(
                str(TEMPLATE),
                no_input=True,
                output_dir=str(out),
                overwrite_if_exists=True,
                extra_context={
                    "project_name": kind.replace("_", " ").title(),
                    "step_kind": kind,
                },
            )
        )
    return folders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "steps")
    args = parser.parse_args()
    for kind, folder in render_steps(args.out).items():
        print(f"{kind:>22}: {folder}")


if __name__ == "__main__":
    main()
