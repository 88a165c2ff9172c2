"""The hooks and the parameter parser they share, called directly."""

from __future__ import annotations

import json
import re

import pytest

import local_extensions as ext
from hooks import post_gen_project, pre_gen_project
from scripts import kind_table

REPO_ROOT = ext.REQUIREMENTS_FILE.parent

DEFAULTS = json.loads((ext.REQUIREMENTS_FILE.parent / "cookiecutter.json").read_text())


def answers(**overrides) -> dict:
    """A valid set of answers, as cookiecutter hands them to the hooks."""
    context = {
        "project_name": "Basic Cleaning",
        "project_slug": "basic_cleaning",
        "job_type": "basic_cleaning",
        "short_description": "Clean the listings",
        "long_description": "",
        "step_kind": "generic",
        "parameters": "",
        "python_version": "3.11",
        "environment": "conda",
    }
    context.update(overrides)
    return context


def test_the_documented_example_parses_to_typed_parameters():
    params = ext.parse_parameters(
        "min_rows:int=1, ratio:float=0.5, label:str=none, verbose:bool=false, note:str",
        ext.builtin_parameters(answers()),
    )
    assert [(p.name, p.type, p.default) for p in params] == [
        ("min_rows", "int", "1"),
        ("ratio", "float", "0.5"),
        ("label", "str", "none"),
        ("verbose", "bool", "false"),
        ("note", "str", None),
    ]
    assert [p.required for p in params] == [False, False, False, False, True]
    assert [p.mlflow_type for p in params] == [
        "float",
        "float",
        "string",
        "string",
        "string",
    ]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("x:int=007", "7"),
        ("x:float=1e3", "1000.0"),
        ("x:bool=YES", "true"),
        ("x:bool=0", "false"),
        ("x:str='quoted'", "quoted"),
        ('x:str="a b"', "a b"),
        ("x:str=", ""),
        ("x:str = spaced ", "spaced"),
    ],
)
def test_defaults_are_normalised(spec, expected):
    (param,) = ext.parse_parameters(spec, [])
    assert param.default == expected


def test_empty_items_and_whitespace_are_ignored():
    assert ext.parse_parameters(" , ,", []) == []
    assert [p.name for p in ext.parse_parameters("a:int=1,, b:str ,", [])] == [
        "a",
        "b",
    ]


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("min rows:int=1", "'min rows' is not a Python identifier"),
        ("1st:int=1", "e.g. p_1st"),
        ("class:int=1", "'class' is a Python keyword"),
        ("match:int=1", "'match' is a Python keyword"),
        ("help:str=x", "taken by --help"),
        ("a:int=1, a:int=2", "'a' is given twice"),
        ("output_dir:str=x", "'output_dir' is a built-in parameter"),
        ("a:integer=1", "unknown type 'integer'; use one of str, int, float, bool"),
        ("a=1", "'a' has no type; write a:TYPE"),
        ("a:int=1.5", "default '1.5' is not an int"),
        ("a:float=abc", "default 'abc' is not a finite float"),
        ("a:float=nan", "not a finite float"),
        ("a:bool=maybe", "write a:bool=true or a:bool=false"),
        ("größe:int=1", "use ASCII letters"),
    ],
)
def test_bad_parameters_are_refused_with_the_fix(spec, fragment):
    errors = ext.validation_errors(answers(parameters=spec))
    assert len(errors) == 1
    assert errors[0].startswith("parameters: ")
    assert fragment in errors[0]


def test_every_problem_is_reported_at_once():
    errors = ext.validation_errors(
        answers(
            project_slug="Bad-Slug",
            job_type="  ",
            parameters="x:int=a, class:str, y:float=1",
        )
    )
    assert [e.split(":", 1)[0] for e in errors] == [
        "project_slug",
        "job_type",
        "parameters",
        "parameters",
    ]


@pytest.mark.parametrize(
    ("slug", "suggestion"),
    [
        ("Basic-Cleaning", "basic_cleaning"),
        ("my step!", "my_step"),
        ("2nd_step", "step_2nd_step"),
        ("import", "step_import"),
        ("", "my_step"),
        ("x" * 101, "x" * 100),
    ],
)
def test_a_bad_slug_is_refused_with_a_suggestion(slug, suggestion):
    (error,) = ext.validation_errors(answers(project_slug=slug))
    assert error.startswith(f"project_slug: {slug!r} is not a lower-case Python")
    assert error.endswith(f"e.g. {suggestion}")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("project_name", " "),
        ("job_type", ""),
        ("job_type", "two\nlines"),
        ("step_kind", "spark"),
        ("python_version", "3.9"),
        ("environment", "pip"),
    ],
)
def test_other_bad_answers_name_their_field(field, value):
    (error,) = ext.validation_errors(answers(**{field: value}))
    assert error.startswith(f"{field}: ")


def test_an_unknown_environment_is_refused_with_the_choices():
    assert ext.validation_errors(answers(environment="pip")) == [
        "environment: unknown environment 'pip'; choose one of "
        "conda, docker, python_env"
    ]


def test_the_defaults_of_cookiecutter_json_are_valid():
    context = answers(
        project_name=DEFAULTS["project_name"],
        short_description=DEFAULTS["short_description"],
        long_description=DEFAULTS["long_description"],
        parameters=DEFAULTS["parameters"],
        step_kind=DEFAULTS["step_kind"][0],
        python_version=DEFAULTS["python_version"][0],
        environment=DEFAULTS["environment"][0],
    )
    assert ext.validation_errors(context) == []
    assert DEFAULTS["python_version"] == list(ext.PYTHON_VERSIONS)


@pytest.mark.parametrize(
    ("choice", "folders"),
    [("step_kind", ext.STEP_KINDS), ("environment", ext.ENVIRONMENTS)],
)
def test_each_choice_is_a_folder_of_the_template_and_has_its_label(choice, folders):
    # cookiecutter reads the choices and their labels only from cookiecutter.json;
    # the template knows them by listing its folders.
    assert sorted(DEFAULTS[choice]) == sorted(folders)
    labels = DEFAULTS["__prompts__"][choice]
    assert sorted(set(labels) - {"__prompt__"}) == sorted(folders)
    for name in folders:
        assert labels[name].startswith(f"{name}: "), labels[name]


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("short_description", "Caf\udce9", "not UTF-8 text ('\\udce9' at character 3)"),
        ("project_name", "Caf\udce9", "not UTF-8 text"),
        ("long_description", "a\x00b", "a NUL character (at character 1)"),
        ("parameters", "note:str=a\x00b", "a NUL character"),
    ],
)
def test_text_no_file_or_command_can_carry_is_refused(field, value, fragment):
    (error,) = ext.validation_errors(answers(**{field: value}))
    assert error.startswith(f"{field}: ") and fragment in error


def test_the_command_may_take_its_whole_budget_and_no_more():
    def description_making_a_command_of(size: int) -> dict:
        others = len(ext.command_line(answers(short_description="x")).encode()) - 1
        return answers(short_description="x" * (size - others))

    fits = description_making_a_command_of(ext.COMMAND_BUDGET)
    assert len(ext.command_line(fits).encode()) == ext.COMMAND_BUDGET
    assert ext.validation_errors(fits) == []
    (error,) = ext.validation_errors(
        description_making_a_command_of(ext.COMMAND_BUDGET + 1)
    )
    assert error.startswith("short_description: makes the step's command")


def test_a_command_made_long_by_parameter_defaults_names_the_parameters():
    long_default = "y" * 70_000
    spec = f"a:str={long_default}, b:str={long_default}"
    (error,) = ext.validation_errors(answers(parameters=spec))
    assert error.startswith("parameters: makes the step's command")


def test_pre_gen_hook_prints_every_problem_and_fails(capsys):
    context = answers(project_slug="Bad Slug", parameters="x:nope")
    assert pre_gen_project.main(context, str(ext.REQUIREMENTS_FILE.parent)) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("The step was not generated")
    assert err[1].startswith("  - project_slug: 'Bad Slug'")
    assert err[2].startswith("  - parameters: parameter 'x': unknown type 'nope'")


def test_pre_gen_hook_accepts_good_answers(capsys):
    assert pre_gen_project.main(answers(), str(ext.REQUIREMENTS_FILE.parent)) == 0
    assert capsys.readouterr().err == ""


def make_files(folder, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def test_post_gen_hook_keeps_only_the_chosen_kind_and_environment(tmp_path, capsys):
    make_files(
        tmp_path,
        {
            "_kinds/generic/run.py": "generic",
            "_kinds/generic/tests/test_run.py": "t",
            "_kinds/generic/_kind.yaml": "the template's own spec",
            "_kinds/generic/_bad_inputs.yaml": "the template's own test cases",
            "_kinds/other/run.py": "other",
            "_environments/python_env/python_env.yaml": "python_env",
            "_environments/python_env/requirements.txt": "python_env pins",
            "_environments/python_env/_mlproject.yaml": "a partial",
            "_environments/docker/requirements.txt": "docker pins",
            "_environments/docker/.dockerignore": "docker",
            "MLproject": "shared",
            "README.md": "# Step\n\n## Quick start\n\n```bash\nrun it\n```\n",
        },
    )

    context = answers(step_kind="generic", environment="python_env")
    assert post_gen_project.main(context, tmp_path) == 0

    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert left == [
        "MLproject",
        "README.md",
        "python_env.yaml",
        "requirements.txt",
        "run.py",
        "tests",
        "tests/test_run.py",
    ]
    assert (tmp_path / "run.py").read_text() == "generic"
    assert (tmp_path / "requirements.txt").read_text() == "python_env pins"
    # What was made, and the README's quick start.
    printed = capsys.readouterr().out
    assert f"Created {tmp_path.name}/ ({tmp_path}): a generic step" in printed
    assert "\n  run it\n" in printed


@pytest.mark.parametrize(
    "files",
    [
        {
            "_kinds/generic/requirements.txt": "kind",
            "_environments/conda/requirements.txt": "env",
        },
        {"_kinds/generic/MLproject": "kind", "MLproject": "shared"},
    ],
    ids=["kind-and-environment", "kind-and-shared"],
)
def test_post_gen_hook_refuses_two_files_for_one_path(tmp_path, capsys, files):
    make_files(tmp_path, {"_kinds/generic/run.py": "generic", **files})
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    context = answers(step_kind="generic", environment="conda")
    assert post_gen_project.main(context, tmp_path) == 1
    assert "would overwrite" in capsys.readouterr().err
    # Nothing moved: cookiecutter then removes the whole folder.
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before


def test_pins_come_from_the_suites_requirements():
    from importlib.metadata import version

    for kind in ext.STEP_KINDS.values():
        for package in kind.packages:
            assert ext.pin(package) == f"{package}=={version(package)}"
    with pytest.raises(LookupError):
        ext.pin("not-a-package")


def test_the_readme_kind_table_is_the_one_the_specs_give():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert kind_table.table() in readme, "run: python scripts/kind_table.py --write"


@pytest.mark.parametrize("kind", sorted(ext.STEP_KINDS))
def test_a_kind_s_spec_names_the_files_its_folder_brings(kind):
    folder = ext.KINDS_DIR / kind
    brought = {
        path.name
        for path in folder.iterdir()
        if path.is_file() and not path.name.startswith("_")
    }
    assert {name for name, _ in ext.STEP_KINDS[kind].files} == brought


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Basic Cleaning", "basic_cleaning"),
        ("Basic Cleaning (v2)", "basic_cleaning_v2"),
        ("2nd Cleaning", "step_2nd_cleaning"),
        ("Nettoyage Données", "nettoyage_donnees"),
        ("Price-Filter", "price_filter"),
        ("class", "step_class"),
        ("!!!", "step"),
    ],
)
def test_the_default_slug_is_always_a_valid_one(name, expected):
    assert ext.slug(name) == expected
    assert ext.validation_errors(answers(project_slug=ext.slug(name))) == []


def test_a_data_check_parameter_cannot_shadow_a_pytest_option():
    (error,) = ext.validation_errors(
        answers(step_kind="data_check", parameters="verbose:bool=false")
    )
    assert (
        error == "parameters: parameter name 'verbose' is taken by --verbose; rename it"
    )
    assert ext.validation_errors(answers(parameters="verbose:bool=false")) == []


@pytest.mark.parametrize("slug", ["a/b", "../x", "..", "", "class", "x" * 101])
def test_a_refused_slug_never_becomes_a_path(slug):
    folder = ext.folder_name(slug)
    assert re.fullmatch(r"refused_slug_[0-9a-f]{12}", folder)
    assert ext.folder_name("basic_cleaning") == "basic_cleaning"


def test_no_direct_pin_is_repeated_in_the_constraints():
    root = ext.REQUIREMENTS_FILE.parent
    direct = {
        line.split("==")[0].lower()
        for line in ext.REQUIREMENTS_FILE.read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    constrained = {
        line.split("==")[0].lower()
        for line in (root / "constraints.txt").read_text().splitlines()
        if "==" in line
    }
    assert direct and not direct & constrained
