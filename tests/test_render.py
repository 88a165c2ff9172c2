"""Render the template with pytest-cookies and check every generated file statically:
the exact file set, no Jinja left, YAML that reads back as the answers, an MLproject
that MLflow's own loader accepts, ruff-clean Python and a working ``--help``."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from importlib.metadata import version

import component_checks as check
import pytest
import yaml
from component_checks import ENVIRONMENT_FILES, KIND_FILES, entry_file
from conftest import ALL_TYPES_PARAMETERS, REPO_ROOT
from cookiecutter.exceptions import FailedHookException

import local_extensions as ext

HOSTILE_TEXT = (
    'He said "stop" & it\'s 100% done: #not-a-comment {braces} $(touch pwned); '
    "rm -rf ~ `id` \\ back\\slash \u00e9\u00e8 \u4e2d\u6587 \U0001f600 --- | pipe | "
    "<script>alert(1)</script> %(prog)s"
)
HOSTILE_LONG = (
    "Line one with \"\"\"triple\"\"\" and '''single''' quotes.\n"
    "# not a heading\n\n* not a list\n    not code\n\ttab\x7f\u2028end"
)
HOSTILE_ANSWERS = {
    "project_name": 'Clean "Listings": #1 \\ {x}',
    "project_slug": "clean_listings",
    "job_type": 'clean: "x" #y',
    "short_description": HOSTILE_TEXT,
    "long_description": HOSTILE_LONG,
    "parameters": 'label:str=a: "b" #c $(x) \\n, note:str',
}
VARIANTS = {
    **{f"{kind}-defaults": {"step_kind": kind} for kind in KIND_FILES},
    **{
        f"{kind}-all_types": {"step_kind": kind, "parameters": ALL_TYPES_PARAMETERS}
        for kind in KIND_FILES
    },
    **{
        f"{environment}-{kind}": {"environment": environment, "step_kind": kind}
        for environment in ENVIRONMENT_FILES
        if environment != "conda"  # the default, rendered by every variant above
        for kind in ("generic", "data_check")
    },
    "python_3_13": {"python_version": "3.13"},
    "hostile_text": HOSTILE_ANSWERS,
    "docker-hostile_text": {**HOSTILE_ANSWERS, "environment": "docker"},
}
CONDA_VARIANTS = sorted(
    name
    for name, answers in VARIANTS.items()
    if answers.get("environment", "conda") == "conda"
)


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def rendered(request, cookies_session):
    answers = VARIANTS[request.param]
    result = cookies_session.bake(extra_context=answers)
    assert result.exception is None, result.exception
    assert result.exit_code == 0
    context = result.context
    return result.project_path, context


def test_the_file_set_is_exact(rendered):
    project, context = rendered
    check.assert_exact_file_set(project, context)
    assert project.name == context["project_slug"]


def test_no_jinja_or_placeholder_is_left(rendered):
    check.assert_no_jinja_left(rendered[0])


def test_mlproject_declares_every_parameter(rendered):
    check.assert_mlproject_declares_every_parameter(*rendered)


def test_mlflow_accepts_the_project_and_builds_the_command(rendered, tmp_path):
    check.assert_mlflow_accepts_the_project(*rendered, tmp_path)


@pytest.mark.parametrize("rendered", CONDA_VARIANTS, indirect=True)
def test_conda_env_pins_what_the_suite_runs_with(rendered):
    project, context = rendered
    assert context["environment"] == "conda"
    env = yaml.safe_load((project / "conda.yml").read_text(encoding="utf-8"))
    assert env["name"] == context["project_slug"]
    assert env["channels"] == ["conda-forge"]
    python, pip, pip_section = env["dependencies"]
    assert python == f"python={context['python_version']}"
    assert pip == "pip"
    assert pip_section["pip"] == [
        *(
            f"{package}=={version(package)}"
            for package in ext.step_kind(context).packages
        ),
        ext.step_io_requirement(context),
    ]
    # What the step's own tests need besides, pinned the same way.
    tests_need = (project / "tests" / "requirements.txt").read_text().splitlines()
    assert [line for line in tests_need if not line.startswith("#")] == [
        f"pytest=={version('pytest')}"
    ]


def test_the_step_s_tool_settings_follow_the_answers(rendered):
    project, context = rendered
    config = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    ours = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    ruff = config["tool"]["ruff"]
    assert ruff["target-version"] == "py" + context["python_version"].replace(".", "")
    assert ruff["lint"]["select"] == ours["tool"]["ruff"]["lint"]["select"]
    assert {"wandb", "mlruns", "outputs"} <= set(ruff["extend-exclude"])
    assert config["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]


def test_python_compiles_and_ruff_passes(rendered):
    check.assert_python_compiles(rendered[0])
    check.assert_ruff_clean(rendered[0])


def test_run_py_holds_the_answers_as_data(rendered):
    project, context = rendered
    check.assert_answers_are_data(project, context)
    # Answers appear only inside string constants: no call, name or import they added.
    source = (project / entry_file(context["step_kind"])).read_text(encoding="utf-8")
    names = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
    assert not names & {"touch", "rm", "id", "pwned", "alert", "x"}


def test_help_lists_every_parameter(rendered):
    project, context = rendered
    check.assert_help_lists_every_parameter(project, context)
    if context["step_kind"] != "data_check":  # pytest's help is pytest's own
        first_word = context["short_description"].split()[0]
        assert first_word in check.help_text(project, context)


def test_readme_documents_every_parameter_and_how_to_run(rendered):
    project, context = rendered
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# {ext.md_inline(context['project_name'])}\n")
    for param in ext.step_parameters(context):
        assert re.search(rf"^\| `{param.name}` \| {param.type} \|", readme, re.M)
    first = next(p for p in ext.step_parameters(context) if p.required)
    online = f" \\\n  -P {first.name}={first.online_example}"
    offline = f" \\\n  -P {first.name}={first.offline_example}"
    environment = context["environment"]
    if environment == "docker":
        image = ext.kubernetes_name(context["project_slug"])
        assert f"docker build -t {image} ." in readme
        # The container sees the W&B key only if it is passed.
        assert "mlflow run . -A env=WANDB_API_KEY" + online in readme
        assert (
            "mlflow run . --backend kubernetes --backend-config kubernetes_config.json "
            "--build-image" + online in readme
        )
        # mlflow run runs a docker project only in Docker; offline, the bare command.
        command = ext.step_kind(context).command
        bare = (
            f"WANDB_MODE=offline {command} \\\n  --{first.name} {first.offline_example}"
        )
        assert bare in readme
        # What a team must change is named, with the value it has now.
        config = json.loads((project / "kubernetes_config.json").read_text())
        for key in ("kube-context", "repository-uri"):
            assert f"`{key}` (now `{config[key]}`)" in readme
    else:
        manager = " --env-manager uv" if environment == "python_env" else ""
        assert f"mlflow run .{manager}" + online in readme
        assert "WANDB_MODE=offline mlflow run . --env-manager local" + offline in readme
    for name in ENVIRONMENT_FILES[environment]:
        assert f"- `{name}`: " in readme
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


@pytest.mark.exhaustive
@pytest.mark.parametrize("python_version", ext.PYTHON_VERSIONS)
@pytest.mark.parametrize("environment", sorted(ENVIRONMENT_FILES))
@pytest.mark.parametrize("kind", sorted(KIND_FILES))
def test_every_combination_renders_a_valid_step(
    cookies, tmp_path, kind, environment, python_version
):
    result = cookies.bake(
        extra_context={
            "step_kind": kind,
            "environment": environment,
            "python_version": python_version,
            "parameters": ALL_TYPES_PARAMETERS,
        }
    )
    assert result.exception is None, result.exception
    check.assert_no_jinja_left(result.project_path)
    check.assert_valid_component(result.project_path, result.context, tmp_path)


@pytest.mark.parametrize("kind", sorted(KIND_FILES))
def test_the_defaults_fit_the_kind(cookies, kind):
    # Only the kind chosen: the name, slug, folder and descriptions follow from it.
    result = cookies.bake(extra_context={"step_kind": kind})
    assert result.exception is None, result.exception
    spec = ext.STEP_KINDS[kind]
    assert result.context["project_name"] == spec.default_name
    assert result.context["short_description"] == spec.default_description
    assert result.project_path.name == ext.slug(spec.default_name)
    readme = (result.project_path / "README.md").read_text(encoding="utf-8")
    assert f"A `{kind}` step of an MLflow + W&B pipeline: it {spec.summary}" in readme


def test_the_defaults_alone_give_a_basic_cleaning_step_named_so(cookies):
    result = cookies.bake()
    assert result.context["step_kind"] == "basic_cleaning"
    assert result.project_path.name == "basic_cleaning"
