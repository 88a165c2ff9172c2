"""Refuse answers the pipeline template cannot render, before any file is generated.

As for a step, whose hook (hooks/pre_gen_project.py at the template's root) this one
reuses: cookiecutter runs a rendered, temporary copy of this file inside the new
project folder and deletes that folder when it exits non-zero. The checks live in
local_extensions.py, shared with the step template.
"""

import json
import sys

# The answers as JSON: no answer can end this literal early (see the step's hook).
HOOK_INPUT_JSON = (
    r"""{{ {"answers": cookiecutter, "template_root": template_root} | tojson }}"""
)


def main(context: dict, template_root: str) -> int:
    sys.path.insert(0, template_root)
    from hooks.pre_gen_project import refuse
    from local_extensions import pipeline_validation_errors

    return refuse(pipeline_validation_errors(context), "pipeline project")


if __name__ == "__main__":
    hook_input = json.loads(HOOK_INPUT_JSON)
    sys.exit(main(hook_input["answers"], hook_input["template_root"]))
