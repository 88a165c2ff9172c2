"""Render every step of the chain with the step template, into components/.

One source of step code: each component is what `cookiecutter <template repo>` makes,
rendered now with the project's environment and Python version. Each step's own
post-generation hook finds the project's marker and appends the step's block to
config.yaml, in the order of the chain: the same path a step added later takes.

cookiecutter runs this hook in its own interpreter (no pandas or numpy) from a
temporary copy, inside the new project: it finds the project from ``Path.cwd()``
(``_output_dir`` is not set under ``cruft create``) and the step template from
``template_root``, which local_extensions.py resolves through the symlink.
"""

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HOOK_INPUT_JSON = r"""{{ {"answers": cookiecutter, "template_root": template_root,
            "step_io_requirement": cookiecutter | step_io_requirement} | tojson }}"""
ROOT_ENVIRONMENTS = "_root_environments"
COMPONENTS = "components"


def keep_root_environment(project_dir: Path, root: str) -> None:
    """Move the driver's environment files to the project root; drop the others
    (and the template's own partials, whose names start with _)."""
    chosen = project_dir / ROOT_ENVIRONMENTS / root
    for source in sorted(chosen.iterdir()):
        if source.name.startswith("_"):
            continue
        target = project_dir / source.name
        if target.exists():
            raise FileExistsError(f"{ROOT_ENVIRONMENTS}/{root}/{source.name}")
        source.replace(target)
    shutil.rmtree(project_dir / ROOT_ENVIRONMENTS)


def render_step(
    template_root: str, components: Path, kind: str, context: dict, step_io: str
) -> dict:
    """One component, by the step template's own cookiecutter run; the answers it
    was rendered with. Its replay file goes to a temporary folder (the user's own
    replay of the step template stays), and its chatter to a log that is shown only
    if it fails."""
    from cookiecutter.main import cookiecutter

    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "config.yaml"
        config.write_text(
            json.dumps({"replay_dir": str(Path(scratch) / "replay")}), encoding="utf-8"
        )
        log = Path(scratch) / "log"
        saved = os.dup(1)
        with log.open("w", encoding="utf-8") as out:
            os.dup2(out.fileno(), 1)
            try:
                cookiecutter(
                    template_root,
                    no_input=True,
                    output_dir=str(components),
                    config_file=str(config),
                    extra_context={
                        "step_kind": kind,
                        "project_slug": kind,
                        "environment": context["environment"],
                        "python_version": context["python_version"],
                        # Every step installs the wiring the project names.
                        "_step_io_requirement": step_io,
                    },
                )
            except BaseException:
                os.dup2(saved, 1)
                sys.stdout.write(log.read_text(encoding="utf-8"))
                raise
            finally:
                sys.stdout.flush()
                os.dup2(saved, 1)
                os.close(saved)
        (replay,) = (Path(scratch) / "replay").glob("*.json")
        return json.loads(replay.read_text(encoding="utf-8"))["cookiecutter"]


def write_cruft_state(step: Path, answers: dict, template: str) -> None:
    """The step's .cruft.json, as `cruft create` writes it, so that `cruft update`
    brings the step to a newer commit of the template. Its wiring is left for each
    update to name afresh (`_step_io_requirement` empty), at the commit updated to."""
    from local_extensions import cruft_template, template_commit

    commit = template_commit()
    if commit is None:
        return  # a template that is no git checkout: nothing cruft could update from
    kept = {
        key: value
        for key, value in answers.items()
        if key not in ("_output_dir", "_repo_dir", "_checkout")
    }
    source = cruft_template(template)
    kept.update(_step_io_requirement="", _template=source, _commit=commit)
    state = {
        "template": source,
        "commit": commit,
        "checkout": None,
        "context": {"cookiecutter": kept},
        "directory": None,
    }
    text = json.dumps(state, indent=2, ensure_ascii=False) + "\n"
    (step / ".cruft.json").write_text(text, encoding="utf-8")


def main(
    context: dict, template_root: str, project_dir: Path, step_io: str = ""
) -> int:
    sys.path.insert(0, template_root)
    from hooks.post_gen_project import unset_inputs
    from local_extensions import chain, pipeline_environment

    keep_root_environment(
        project_dir, pipeline_environment(context["environment"])["root"]
    )
    components = project_dir / COMPONENTS
    components.mkdir(exist_ok=True)
    steps = chain(context)
    for kind in steps:
        answers = render_step(template_root, components, kind, context, step_io)
        write_cruft_state(components / kind, answers, context.get("_template", ""))
        print(f"  components/{kind}: a {kind} step")
    driver = pipeline_environment(context["environment"])["driver_env_manager"]
    online = "mlflow run ." + (f" --env-manager {driver}" if driver else "")
    plural = "s" if len(steps) != 1 else ""
    lines = [
        f"Created {project_dir.name}/ ({project_dir}): a pipeline of {len(steps)} "
        f"step{plural}, chained by main.py as config.yaml says.",
    ]
    unset = unset_inputs((project_dir / "config.yaml").read_text(encoding="utf-8"))
    if unset:
        lines.append(
            f"First set {', '.join(unset)} in config.yaml (no earlier step makes "
            f"{'it' if len(unset) == 1 else 'them'})."
        )
    lines += [
        f"Next, in {project_dir.name}/:",
        "  make run     # the whole chain, offline, on the sample in data/",
        "  make test    # lint, every step's tests, the config's checks",
        f"  wandb login  # then `{online}` logs to W&B (README.md)",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    hook_input = json.loads(HOOK_INPUT_JSON)
    sys.exit(
        main(
            hook_input["answers"],
            hook_input["template_root"],
            Path.cwd(),
            hook_input["step_io_requirement"],
        )
    )
