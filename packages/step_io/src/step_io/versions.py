"""Whether every step of a pipeline runs the same step_io.

    python -m step_io.versions components

reads the step_io requirement of each step folder under ``components`` (its
``requirements.txt``) and exits 1 with one line naming the steps when they need
different ones.
"""

from __future__ import annotations

import sys
from pathlib import Path

DISTRIBUTION = "mlflow-wandb-step-io"


def requirement(step: Path) -> str | None:
    """The step's step_io requirement, as its requirements.txt writes it."""
    path = step / "requirements.txt"
    if not path.is_file():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split(" #", 1)[0].strip()
        if text.startswith(DISTRIBUTION):
            return text
    return None


def requirements(folder: Path) -> dict[str, list[str]]:
    """Each requirement, and the steps under ``folder`` that name it."""
    found: dict[str, list[str]] = {}
    for step in sorted(path for path in folder.iterdir() if path.is_dir()):
        needed = requirement(step)
        if needed is not None:
            found.setdefault(needed, []).append(step.name)
    return found


def problem(folder: Path) -> str | None:
    """One line saying which steps need which step_io, if they differ."""
    found = requirements(folder)
    if len(found) < 2:
        return None
    groups = "; ".join(
        f"{', '.join(steps)} need {needed.split('@')[-1].split('#')[0].strip()}"
        for needed, steps in found.items()
    )
    return (
        f"{folder}: the steps need different versions of step_io: {groups}; bring "
        "them to one (cruft update in each, or the same requirements.txt line)"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "components")
    found = problem(folder)
    if found is not None:
        print(f"step_io.versions: error: {found}", file=sys.stderr)
        return 1
    print(f"{folder}: every step needs the same step_io")
    return 0


if __name__ == "__main__":
    sys.exit(main())
