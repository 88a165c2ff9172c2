"""Render the template with pytest-cookies and check every generated file statically:
the exact file set, no Jinja left, YAML that reads back as the answers, an MLproject
that MLflow's own loader accepts, ruff-clean Python and a working ``--help``."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from conftest import ALL_TYPES_PARAMETERS
from cookiecutter.exceptions import FailedHookException
from mlflow.projects._project_spec import load_project

import local_extensions as ext

SHARED_FILES = {
    ".gitignore",
    "MLproject",
    "README.md",
    "conda.yml",
    "step_io.py",
    "tests/conftest.py",
    "tests/step_testing.py",
    "tests/test_step_io.py",
}
KIND_FILES = {
    "generic": {"run.py", "tests/test_run.py"},
    "basic_cleaning": {"run.py", "tests/test_run.py"},
    "data_check": {"conftest.py", "test_data.py", "tests/test_checks.py"},
    "data_split": {"run.py", "tests/test_run.py"},
    "train_random_forest": {"run.py", "rf_config.json", "tests/test_run.py"},
    "test_regression_model": {"run.py", "tests/test_run.py"},
}
# The file that holds the step's identity and argument parser.
ENTRY_FILE = {kind: "run.py" for kind in KIND_FILES} | {"data_check": "conftest.py"}

HOSTILE_TEXT = (
    'He said "stop" & it\'s 100% done: #not-a-comment {braces} $(touch pwned); '
    "rm -rf ~ `id` \\ back\\slash \u00e9\u00e8 \u4e2d\u6587 \U0001f600 --- | pipe | "
    "<script>alert(1)</script> %(prog)s"
)
HOSTILE_LONG = (
    "Line one with \"\"\"triple\"\"\" and '''single''' quotes.\n"
    "# not a heading\n\n* not a list\n    not code\n\ttab\x7f\u2028end"
)
VARIANTS = {
    **{f"{kind}-defaults": {"step_kind": kind} for kind in KIND_FILES},
    **{
        f"{kind}-all_types": {"step_kind": kind, "parameters": ALL_TYPES_PARAMETERS}
        for kind in KIND_FILES
    },
    "python_3_13": {"python_version": "3.13"},
    "hostile_text": {
        "project_name": 'Clean "Listings": #1 \\ {x}',
        "project_slug": "clean_listings",
        "job_type": 'clean: "x" #y',
        "short_description": HOSTILE_TEXT,
        "long_description": HOSTILE_LONG,
        "parameters": 'label:str=a: "b" #c $(x) \\n, note:str',
    },
}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def rendered(request, cookies_session):
    answers = VARIANTS[request.param]
    result = cookies_session.bake(extra_context=answers)
    assert result.exception is None, result.exception
    assert result.exit_code == 0
    context = result.context
    return result.project_path, context


def test_the_file_set_is_exact(rendered):
    project, _ = rendered
    files = {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}
    assert files == SHARED_FILES | KIND_FILES[rendered[1]["step_kind"]]
    assert project.name == rendered[1]["project_slug"]


def test_no_jinja_or_placeholder_is_left(rendered):
    project, _ = rendered
    for path in project.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            for marker in ("{{", "{%", "{#", "INSERT", "TODO", "FIXME"):
                assert marker not in text, f"{marker!r} left in {path.name}"


def test_mlproject_declares_every_parameter(rendered):
    project, context = rendered
    spec = yaml.safe_load((project / "MLproject").read_text(encoding="utf-8"))
    expected = ext.step_parameters(context)
    assert spec["name"] == context["project_slug"]
    assert spec["conda_env"] == "conda.yml"
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


def test_mlflow_accepts_the_project_and_builds_the_command(rendered, tmp_path):
    project, context = rendered
    loaded = load_project(str(project))
    entry_point = loaded.get_entry_point("main")
    params = ext.step_parameters(context)
    assert sorted(entry_point.parameters) == sorted(p.name for p in params)
    values = {p.name: p.example for p in params if p.required}
    command = entry_point.compute_command(values, str(tmp_path))
    assert command.startswith(ext.step_kind(context).command + " --")
    for param in params:
        assert f"--{param.name}=" in command


def test_conda_env_pins_what_the_suite_runs_with(rendered):
    project, context = rendered
    env = yaml.safe_load((project / "conda.yml").read_text(encoding="utf-8"))
    assert env["name"] == context["project_slug"]
    assert env["channels"] == ["conda-forge"]
    python, pip, pip_section = env["dependencies"]
    assert python == f"python={context['python_version']}"
    assert pip == "pip"
    assert pip_section["pip"] == [
        f"{package}=={version(package)}" for package in ext.step_kind(context).packages
    ]


def test_ruff_passes(rendered):
    project, _ = rendered
    ruff = Path(sys.executable).parent / "ruff"
    for args in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [str(ruff), *args, "--isolated", "--no-cache", "."],
            cwd=project,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_run_py_holds_the_answers_as_data(rendered):
    project, context = rendered
    source = (project / ENTRY_FILE[context["step_kind"]]).read_text(encoding="utf-8")
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
    # Answers appear only inside string constants: no call, name or import they added.
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not names & {"touch", "rm", "id", "pwned", "alert", "x"}


def test_help_lists_every_parameter(rendered):
    project, context = rendered
    if context["step_kind"] == "data_check":  # its options are pytest's
        command = [sys.executable, "-m", "pytest", "--help", "test_data.py"]
    else:
        command = [sys.executable, "run.py", "--help"]
    result = subprocess.run(
        command,
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    if context["step_kind"] != "data_check":
        assert context["short_description"].split()[0] in result.stdout
    for param in ext.step_parameters(context):
        assert f"--{param.name}" in result.stdout


def test_readme_documents_every_parameter_and_how_to_run(rendered):
    project, context = rendered
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# {ext.md_inline(context['project_name'])}\n")
    for param in ext.step_parameters(context):
        assert re.search(rf"^\| `{param.name}` \| {param.type} \|", readme, re.M)
    first = next(p for p in ext.step_parameters(context) if p.required)
    assert f"mlflow run . \\\n  -P {first.name}={first.online_example}" in readme
    assert "WANDB_MODE=offline mlflow run . --env-manager local" in readme
    # Free text stays text: nothing it holds opens HTML, a heading or a table cell.
    assert "<script>" not in readme
    assert "\n# not a heading" not in readme
    for line in readme.splitlines():
        if line.startswith("| `"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 5


@pytest.mark.parametrize(
    ("answers", "field", "fragment"),
    [
        ({"project_slug": "Basic-Cleaning"}, "project_slug", "e.g. basic_cleaning"),
        ({"job_type": ""}, "job_type", "is empty"),
        ({"parameters": "x:int=one"}, "parameters", "is not an int"),
        ({"parameters": "a:str, a:int"}, "parameters", "'a' is given twice"),
        ({"parameters": "lambda:str"}, "parameters", "is a Python keyword"),
        ({"parameters": "output_dir:str"}, "parameters", "is a built-in parameter"),
        ({"parameters": "n:long=1"}, "parameters", "unknown type 'long'"),
    ],
)
def test_bad_answers_are_refused_and_leave_nothing(
    cookies, capfd, tmp_path, answers, field, fragment
):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code != 0
    assert isinstance(result.exception, FailedHookException)
    err = capfd.readouterr().err
    assert f"  - {field}: " in err
    assert fragment in err
    left = [p for p in (tmp_path / "cookies").rglob("*") if p.is_file()]
    assert left == []
    assert not any(
        p.name == "basic_cleaning" for p in (tmp_path / "cookies").rglob("*")
    )
