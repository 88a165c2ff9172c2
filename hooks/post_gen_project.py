"""Keep only the files the chosen step kind needs.

Each kind's own files live under ``_kinds/<kind>/`` in the template, so each reads like
the component it becomes; this hook moves the chosen kind's files into place and
removes the rest, as cookiecutter-data-science removes what a choice does not need.
"""

import json
import shutil
import sys
from pathlib import Path

CONTEXT_JSON = r"""{{ cookiecutter | tojson }}"""
KINDS_DIR = "_kinds"


def promote_kind_files(project_dir: Path, kind: str) -> None:
    """Move ``_kinds/<kind>/*`` to the project root, then drop ``_kinds/``."""
    kinds_dir = project_dir / KINDS_DIR
    for source in sorted((kinds_dir / kind).rglob("*")):
        if source.is_file():
            target = project_dir / source.relative_to(kinds_dir / kind)
            target.parent.mkdir(parents=True, exist_ok=True)
            source.replace(target)
    shutil.rmtree(kinds_dir)


def main(context: dict, project_dir: Path) -> int:
    promote_kind_files(project_dir, context["step_kind"])
    return 0


if __name__ == "__main__":
    # cookiecutter runs post-generation hooks inside the generated project.
    sys.exit(main(json.loads(CONTEXT_JSON), Path.cwd()))
