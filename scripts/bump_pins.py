"""Move pins of requirements.txt to the newest release on the package index.

    python scripts/bump_pins.py --list            # JSON: [{"package", "old", "new"}]
    python scripts/bump_pins.py                   # rewrite every pin with a newer one
    python scripts/bump_pins.py --only wandb      # rewrite that one alone

The weekly workflow (.github/workflows/bump-pins.yml) runs the suite with each bump
alone, so a breaking release of wandb or MLflow shows up as the one that broke, before
a user meets it. `make constraints` then pins what the new versions pull in.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements.txt"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)==(?P<version>\S+)\s*$")


def newest_on_index(package: str) -> str | None:
    """The newest release pip sees for ``package`` (pip's own index settings)."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", package],
        capture_output=True,
        text=True,
    )
    match = re.match(rf"{re.escape(package)} \((\S+)\)", result.stdout, re.IGNORECASE)
    return match.group(1) if match else None


def bumps(text: str, newest: Callable[[str], str | None]) -> list[dict[str, str]]:
    """Each pin of ``text`` with a newer release: package, old and new versions."""
    found = []
    for line in text.splitlines():
        pin = PIN.match(line)
        if pin and (latest := newest(pin["name"])) and latest != pin["version"]:
            found.append({"package": pin["name"], "old": pin["version"], "new": latest})
    return found


def apply(text: str, chosen: list[dict[str, str]]) -> str:
    """``text`` with each chosen pin moved to its new version, the rest as it was."""
    new = {bump["package"]: bump["new"] for bump in chosen}
    lines = []
    for line in text.splitlines():
        pin = PIN.match(line)
        if pin and pin["name"] in new:
            line = f"{pin['name']}=={new[pin['name']]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the bumps as JSON")
    parser.add_argument("--only", help="bump this package alone")
    args = parser.parse_args()
    text = REQUIREMENTS.read_text(encoding="utf-8")
    found = bumps(text, newest_on_index)
    if args.list:
        print(json.dumps(found))
        return 0
    if args.only:
        found = [bump for bump in found if bump["package"] == args.only]
        if not found:
            print(f"{args.only}: no newer release, or not pinned", file=sys.stderr)
            return 1
    REQUIREMENTS.write_text(apply(text, found), encoding="utf-8")
    for bump in found:
        print(f"{bump['package']}: {bump['old']} -> {bump['new']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
