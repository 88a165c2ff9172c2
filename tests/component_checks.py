"""Checks of one rendered step, shared by the render tests and the property test.

Each takes the rendered folder and the context cookiecutter rendered it with (the
answers as the template saw them) and fails with a message naming the file.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import yaml
from jinja2 import Template
from mlflow.projects import env_type
from mlflow.projects._project_spec import load_project

import local_extensions as ext


def step_files_of(folder: Path, leave_out: tuple[str, ...] = ()) -> set[str]:
    """The files of a template folder that reach the step: not the template's own
    (names starting with _), nor those of the folders left out."""
    return {
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file()
        and not path.name.startswith("_")
        and "__pycache__" not in path.parts
        and path.relative_to(folder).parts[0] not in leave_out
    }


# Derived from the template's folders, as the post-generation hook sees them.
ENVIRONMENTS_DIR = ext.TEMPLATE_DIR / "_environments"
SHARED_FILES = step_files_of(ext.TEMPLATE_DIR, ("_kinds", "_environments"))
KIND_FILES = {kind: step_files_of(ext.KINDS_DIR / kind) for kind in ext.STEP_KINDS}
ENVIRONMENT_FILES = {
    env: step_files_of(ENVIRONMENTS_DIR / env) for env in ext.ENVIRONMENTS
}


def entry_file(kind: str) -> str:
    """The kind's file that holds the step's identity and argument parser."""
    (name,) = [
        name
        for name in sorted(KIND_FILES[kind])
        if 'include "identity.py.j2"' in (ext.KINDS_DIR / kind / name).read_text()
    ]
    return name


RUFF = Path(sys.executable).parent / "ruff"


def files_of(project: Path) -> set[str]:
    return {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}


def rendered_names(names: set[str], context: dict) -> set[str]:
    """File names as cookiecutter renders them (a test file is named after the slug)."""
    return {Template(name).render(cookiecutter=context) for name in names}


def assert_exact_file_set(project: Path, context: dict) -> None:
    assert files_of(project) == rendered_names(
        SHARED_FILES
        | KIND_FILES[context["step_kind"]]
        | ENVIRONMENT_FILES[context["environment"]],
        context,
    )


def assert_no_jinja_left(project: Path) -> None:
    for path in project.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            for marker in ("{{", "{%", "{#", "INSERT", "TODO", "FIXME"):
                assert marker not in text, f"{marker!r} left in {path.name}"


def assert_mlproject_declares_every_parameter(project: Path, context: dict) -> None:
    spec = yaml.safe_load((project / "MLproject").read_text(encoding="utf-8"))
    expected = ext.step_parameters(context)
    # A docker step runs on Kubernetes, where MLflow names the job and its container
    # after the project: Kubernetes takes only lower-case letters, digits and -.
    slug = context["project_slug"]
    docker = context["environment"] == "docker"
    assert spec["name"] == (ext.kubernetes_name(slug) if docker else slug)
    assert_one_environment_field(spec, context)
    declared = spec["entry_points"]["main"]["parameters"]
    assert list(declared) == [p.name for p in expected]
    for param in expected:
        entry = declared[param.name]
        assert entry["type"] in {"string", "float", "path", "uri"}
        assert entry["type"] == param.mlflow_type
        assert entry["description"] == param.description
        if param.required:
            assert "default" not in entry
        else:
            assert str(entry["default"]) == param.default
    # Free text comes back as the very text that was typed.
    if "output_description" in declared:
        description = declared["output_description"]["default"]
        assert description == context["short_description"]


def environment_field(context: dict) -> tuple[str, object]:
    """The MLproject field the chosen environment writes, and its value."""
    return {
        "conda": (env_type.CONDA, "conda.yml"),
        "python_env": (env_type.PYTHON, "python_env.yaml"),
        "docker": (
            env_type.DOCKER,
            {"image": ext.kubernetes_name(context["project_slug"])},
        ),
    }[context["environment"]]


def assert_one_environment_field(spec: dict, context: dict) -> None:
    """Exactly the chosen environment's field: MLflow refuses a project with more."""
    field, value = environment_field(context)
    assert set(spec) & set(env_type.ALL) == {field}
    assert spec[field] == value


def assert_mlflow_accepts_the_project(project: Path, context: dict, tmp: Path) -> str:
    """MLflow's own loader reads the MLproject and builds the command; returns it."""
    entry_point = load_project(str(project)).get_entry_point("main")
    params = ext.step_parameters(context)
    assert sorted(entry_point.parameters) == sorted(p.name for p in params)
    values = {p.name: p.example for p in params if p.required}
    command = entry_point.compute_command(values, str(tmp))
    assert command.startswith(ext.step_kind(context).command + " --")
    # The hook measures this very command against Linux's limit on one argument.
    assert command == ext.command_line(context)
    for param in params:
        assert f"--{param.name}=" in command
    return command


def assert_python_compiles(project: Path) -> None:
    for path in project.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def assert_ruff_clean(project: Path) -> None:
    """ruff, as a user's would run: with the step's own configuration, from the
    step's folder and from the folder holding it."""
    for cwd, target in ((project, "."), (project.parent, project.name)):
        for args in (["check"], ["format", "--check"]):
            result = subprocess.run(
                [str(RUFF), *args, "--no-cache", target],
                cwd=cwd,
                capture_output=True,
                text=True,
            )
            assert result.returncode == 0, (cwd, result.stdout + result.stderr)


def assert_answers_are_data(project: Path, context: dict) -> None:
    """The answers reach the code only as string constants, and read back intact."""
    source = (project / entry_file(context["step_kind"])).read_text(encoding="utf-8")
    tree = ast.parse(source)
    assignment = next(
        node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Tuple)
        and node.targets[0].elts[0].id == "STEP_NAME"
    )
    assert ast.literal_eval(assignment.value) == (
        context["project_name"],
        context["job_type"],
        context["short_description"],
    )


def help_text(project: Path, context: dict) -> str:
    if context["step_kind"] == "data_check":  # its options are pytest's
        command = [sys.executable, "-m", "pytest", "--help", "test_data.py"]
    else:
        command = [sys.executable, "run.py", "--help"]
    result = subprocess.run(command, cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def assert_help_lists_every_parameter(project: Path, context: dict) -> None:
    text = help_text(project, context)
    for param in ext.step_parameters(context):
        assert f"--{param.name}" in text


def assert_valid_component(project: Path, context: dict, tmp: Path) -> None:
    """What any accepted answers must give (answers may hold Jinja delimiters as
    text, so the check for leftover Jinja is the render tests' own)."""
    assert_exact_file_set(project, context)
    assert_mlproject_declares_every_parameter(project, context)
    assert_mlflow_accepts_the_project(project, context, tmp)
    assert_python_compiles(project)
    assert_answers_are_data(project, context)
    assert_ruff_clean(project)
    assert_help_lists_every_parameter(project, context)
