"""Refuse answers the template cannot render, before any file is generated.

cookiecutter runs this file (rendered by Jinja) from a temporary copy inside the new
project folder, and deletes that folder when the hook exits non-zero, so a refused
answer leaves nothing behind. The checks themselves live in local_extensions.py, the
same module that renders the answers, so what passes here always renders.
"""

import json
import sys

# The answers as JSON. No answer can end this literal early: JSON escapes every
# quote inside a string, and after a closing quote comes `,` `:` `}` or `]`.
HOOK_INPUT_JSON = (
    r"""{{ {"answers": cookiecutter, "template_root": template_root} | tojson }}"""
)


def report(errors: list[str], what: str = "step") -> str:
    """All problems at once, one line each, so one retry can fix them all."""
    lines = [
        f"The {what} was not generated; fix these answers and run cookiecutter again:"
    ]
    lines += [f"  - {error}" for error in errors]
    return "\n".join(lines)


def refuse(errors: list[str], what: str = "step") -> int:
    """The hook's exit code: 1, with the report on stderr, if anything is wrong."""
    if errors:
        print(report(errors, what), file=sys.stderr)
        return 1
    return 0


def main(context: dict, template_root: str) -> int:
    # cookiecutter runs a temporary copy of this file, away from local_extensions.py.
    sys.path.insert(0, template_root)
    from local_extensions import validation_errors

    return refuse(validation_errors(context))


if __name__ == "__main__":
    hook_input = json.loads(HOOK_INPUT_JSON)
    sys.exit(main(hook_input["answers"], hook_input["template_root"]))
