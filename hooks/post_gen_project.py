"""Keep only the files the chosen step kind and environment need.

Each kind's own files live under ``_kinds/<kind>/`` in the template, and each
environment's under ``_environments/<environment>/``, so each reads like the component
it becomes; this hook moves the chosen ones into place and removes the rest, as
cookiecutter-data-science removes what a choice does not need. In those folders, files
whose names start with ``_`` are the template's own (a kind's spec and bad-input cases,
an environment's partials): they never reach the step.
"""

import json
import shutil
import sys
from pathlib import Path

HOOK_INPUT_JSON = (
    r"""{{ {"answers": cookiecutter, "template_root": template_root} | tojson }}"""
)
KINDS_DIR = "_kinds"
ENVIRONMENTS_DIR = "_environments"
# What the pipeline template (pipeline/) writes at a project's root: a step rendered
# into that project's components/ registers itself in the project's config.yaml.
PIPELINE_MARKER = ".mlflow-wandb-pipeline"
PIPELINE_COMPONENTS = "components"
PIPELINE_CONFIG = "config.yaml"


class Collision(Exception):
    """Two chosen folders hold a file for the same path of the step."""


def chosen_files(project_dir: Path, choices_dir: str, choice: str) -> dict[str, Path]:
    """The step's path of each file of ``<choices_dir>/<choice>/`` that the step
    gets, and where it is now."""
    chosen = project_dir / choices_dir / choice
    return {
        str(source.relative_to(chosen)): source
        for source in sorted(chosen.rglob("*"))
        if source.is_file() and not source.name.startswith("_")
    }


def promote_chosen_files(project_dir: Path, choices: dict[str, str]) -> None:
    """Move each chosen folder's files to the step's root, then drop the folders of
    choices with every other choice in them. Refuse, before moving anything, a file
    that is already in the step or that two chosen folders both bring."""
    moves: dict[str, Path] = {}
    for choices_dir, choice in choices.items():
        for target, source in chosen_files(project_dir, choices_dir, choice).items():
            if target in moves or (project_dir / target).exists():
                raise Collision(
                    f"{choices_dir}/{choice}/{target} would overwrite "
                    f"{target} of the step"
                )
            moves[target] = source
    for target, source in moves.items():
        (project_dir / target).parent.mkdir(parents=True, exist_ok=True)
        source.replace(project_dir / target)
    for choices_dir in choices:
        shutil.rmtree(project_dir / choices_dir)


def quick_start(readme: Path) -> list[str]:
    """The commands under the step README's "Quick start": one source for the README
    and for what this hook prints."""
    lines = readme.read_text(encoding="utf-8").splitlines()
    start = lines.index("```bash", lines.index("## Quick start")) + 1
    return lines[start : lines.index("```", start)]


def next_steps(context: dict, project_dir: Path) -> str:
    commands = quick_start(project_dir / "README.md")
    return "\n".join(
        [
            f"Created {project_dir.name}/ ({project_dir}): a {context['step_kind']} "
            f"step, its environment {context['environment']}.",
            f"Next, in {project_dir.name}/: run it offline on a local file, run its "
            "tests, log in to W&B for online runs:",
            *(f"  {command}" for command in commands),
            "Its README.md has the rest: every parameter, and the online command.",
        ]
    )


def pipeline_root(project_dir: Path) -> Path | None:
    """The generated pipeline project the step was rendered into, if any: a step
    anywhere else (a starter repo with its own config.yaml and components/, too) is
    left alone."""
    root = project_dir.parent.parent
    if (
        project_dir.parent.name == PIPELINE_COMPONENTS
        and (root / PIPELINE_MARKER).is_file()
    ):
        return root
    return None


def unset_inputs(config_text: str) -> list[str]:
    """The keys of a pipeline config's step blocks left ??? (inputs to set), as
    step.parameter."""
    import yaml

    blocks = yaml.safe_load(config_text) or {}
    return [
        f"{step}.{name}"
        for step, block in blocks.items()
        if isinstance(block, dict)
        for name, value in block.items()
        if value == "???"
    ]


def register_in_pipeline(context: dict, root: Path) -> str:
    """Append the step's block to the project's config.yaml, as text, so the team's
    comments stay and the step runs last; a step already there is left as it is
    (a re-render, a cruft update). What was done, in one line."""
    import yaml

    from local_extensions import pipeline_block

    config = root / PIPELINE_CONFIG
    text = config.read_text(encoding="utf-8")
    keys = list(yaml.safe_load(text) or {})
    slug = context["project_slug"]
    if slug in keys:
        return f"{PIPELINE_CONFIG} already has a block {slug}: left as it is."
    components = root / PIPELINE_COMPONENTS
    earlier = [key for key in keys if (components / key).is_dir()]
    block = pipeline_block(context, earlier)
    separator = (
        ""
        if not text or text.endswith("\n\n")
        else ("\n" if text.endswith("\n") else "\n\n")
    )
    config.write_text(text + separator + block, encoding="utf-8")
    required = unset_inputs(block)
    todo = f"; set {', '.join(required)} there first" if required else ""
    return (
        f"Registered {slug} as the last step in {PIPELINE_CONFIG}{todo}; run it with "
        f"mlflow run . -P steps={slug}"
    )


def main(context: dict, project_dir: Path) -> int:
    try:
        promote_chosen_files(
            project_dir,
            {
                KINDS_DIR: context["step_kind"],
                ENVIRONMENTS_DIR: context["environment"],
            },
        )
    except Collision as err:
        print(f"The step was not generated: {err}; rename one of them", file=sys.stderr)
        return 1
    print(next_steps(context, project_dir))
    root = pipeline_root(project_dir)
    if root is not None:
        print(register_in_pipeline(context, root))
    return 0


if __name__ == "__main__":
    # cookiecutter runs post-generation hooks inside the generated project, from a
    # temporary copy, away from local_extensions.py.
    hook_input = json.loads(HOOK_INPUT_JSON)
    sys.path.insert(0, hook_input["template_root"])
    sys.exit(main(hook_input["answers"], Path.cwd()))
