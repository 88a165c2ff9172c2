"""Refuse answers the pipeline template cannot render, before any file is generated.

As for a step (the root template's hook): cookiecutter runs a rendered, temporary
copy of this file inside the new project folder and deletes that folder when it exits
non-zero. The checks live in local_extensions.py, shared with the step template.
"""

import json
import sys

# The answers as JSON: no answer can end this literal early (see the step's hook).
HOOK_INPUT_JSON = (
    r"""{{ {"answers": cookiecutter, "template_root": template_root} | tojson }}"""
)


def report(errors: list[str]) -> str:
    """All problems at once, one line each, so one retry can fix them all."""
    lines = [
        "The pipeline project was not generated; fix these answers and run "
        "cookiecutter again:"
    ]
    lines += [f"  - {error}" for error in errors]
    return "\n".join(lines)


def main(context: dict, template_root: str) -> int:
    sys.path.insert(0, template_root)
    from local_extensions import pipeline_validation_errors

    errors = pipeline_validation_errors(context)
    if errors:
        print(report(errors), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    hook_input = json.loads(HOOK_INPUT_JSON)
    sys.exit(main(hook_input["answers"], hook_input["template_root"]))
