"""Keep only the files the chosen step kind and environment need.

Each kind's own files live under ``_kinds/<kind>/`` in the template, and each
environment's under ``_environments/<environment>/``, so each reads like the component
it becomes; this hook moves the chosen ones into place and removes the rest, as
cookiecutter-data-science removes what a choice does not need.
"""

import json
import shutil
import sys
from pathlib import Path

CONTEXT_JSON = r"""{{ cookiecutter | tojson }}"""
KINDS_DIR = "_kinds"
ENVIRONMENTS_DIR = "_environments"
# What a kind's folder holds for the template's own tests, not for the step.
TEMPLATE_ONLY = frozenset({"bad_inputs.yaml"})


def promote_chosen_files(project_dir: Path, choices_dir: str, choice: str) -> None:
    """Move ``<choices_dir>/<choice>/*`` to the project root, then drop
    ``<choices_dir>/`` with every other choice in it."""
    chosen = project_dir / choices_dir / choice
    for source in sorted(chosen.rglob("*")):
        if source.is_file() and source.name not in TEMPLATE_ONLY:
            target = project_dir / source.relative_to(chosen)
            target.parent.mkdir(parents=True, exist_ok=True)
            source.replace(target)
    shutil.rmtree(project_dir / choices_dir)


def main(context: dict, project_dir: Path) -> int:
    promote_chosen_files(project_dir, KINDS_DIR, context["step_kind"])
    promote_chosen_files(project_dir, ENVIRONMENTS_DIR, context["environment"])
    return 0


if __name__ == "__main__":
    # cookiecutter runs post-generation hooks inside the generated project.
    sys.exit(main(json.loads(CONTEXT_JSON), Path.cwd()))
