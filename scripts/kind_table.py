"""The README's table of step kinds, made from the kinds' own specs
(``_kinds/<kind>/_kind.yaml``): ``python scripts/kind_table.py`` prints it, and
``--write`` puts it in README.md in place of the table there. The suite checks that
the README holds the table the specs give."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import local_extensions as ext  # noqa: E402

HEADER = "| kind | what it does | built-in parameters (default) |"
# Stand-ins for what the answers give.
EXAMPLE = {"project_slug": "<slug>", "short_description": "<the short description>"}


def table() -> str:
    rows = [HEADER, "| --- | --- | --- |"]
    for name, kind in ext.STEP_KINDS.items():
        params = ", ".join(
            f"`{p.name}`" if p.required else f"`{p.name}` (`{p.default}`)"
            for p in kind.builtins(EXAMPLE)
        )
        rows.append(f"| `{name}` | {kind.summary} | {params} |")
    return "\n".join(rows) + "\n"


def write(readme: Path) -> None:
    lines = readme.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index(HEADER + "\n")
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    lines[start:end] = [table()]
    readme.write_text("".join(lines), encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update README.md")
    if parser.parse_args().write:
        write(REPO / "README.md")
    else:
        print(table(), end="")
