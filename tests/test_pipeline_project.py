"""The pipeline template (``cookiecutter <repo> --directory pipeline``): the project it
renders, its components rendered by the step template itself, and the whole chain run
offline through the real ``mlflow run .`` at the project's root."""

from __future__ import annotations

import filecmp
import fnmatch
import functools
import http.server
import json
import math
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from component_checks import assert_ruff_clean, files_of
from conftest import REPO_ROOT, commit_all, git, offline_env, run
from cookiecutter.main import cookiecutter
from make_sample_data import write_listings
from mlflow.projects._project_spec import load_project
from omegaconf import OmegaConf
from wandb_log import offline_runs

import local_extensions as ext
from hooks import post_gen_project as step_post_gen

PIPELINE = REPO_ROOT / "pipeline"
PROJECT_TEMPLATE = PIPELINE / "{{cookiecutter.project_slug | folder_name}}"
ROOT_ENVIRONMENTS = PROJECT_TEMPLATE / "_root_environments"
PIPELINE_JSON = json.loads((PIPELINE / "cookiecutter.json").read_text())
DEFAULT_CHAIN = PIPELINE_JSON["steps"].split(",")
BIN = Path(sys.executable).parent
SHORT_CHAIN = "get_data,basic_cleaning"


def render_pipeline(out: Path, config_file: Path | None = None, **answers) -> Path:
    return Path(
        cookiecutter(
            str(PIPELINE.parent),
            directory="pipeline",
            no_input=True,
            output_dir=str(out),
            extra_context=answers,
            config_file=str(config_file) if config_file else None,
        )
    )


def project_files() -> set[str]:
    """The pipeline template's own files that reach the project (not its partials,
    nor the root environments, of which the hook keeps one)."""
    return {
        str(path.relative_to(PROJECT_TEMPLATE))
        for path in PROJECT_TEMPLATE.rglob("*")
        if path.is_file()
        and not path.name.startswith("_")
        and ROOT_ENVIRONMENTS not in path.parents
        and "__pycache__" not in path.parts
    }


def root_environment_files(environment: str) -> set[str]:
    root = ext.pipeline_environment(environment)["root"]
    return {
        path.name
        for path in (ROOT_ENVIRONMENTS / root).iterdir()
        if not path.name.startswith("_")
    }


@pytest.fixture(scope="module")
def default_project(tmp_path_factory) -> Path:
    return render_pipeline(tmp_path_factory.mktemp("default"))


# --- what the template renders ----------------------------------------------------


def test_the_template_offers_the_step_templates_choices():
    assert sorted(PIPELINE_JSON["environment"]) == sorted(ext.ENVIRONMENTS)
    assert tuple(PIPELINE_JSON["python_version"]) == ext.PYTHON_VERSIONS
    assert all(kind in ext.STEP_KINDS for kind in DEFAULT_CHAIN)
    assert (PIPELINE / "local_extensions.py").resolve() == REPO_ROOT.joinpath(
        "local_extensions.py"
    )


def test_a_default_project_holds_its_files_and_one_folder_per_step(default_project):
    components = {
        f"components/{kind}/{name}"
        for kind in DEFAULT_CHAIN
        for name in files_of(default_project / "components" / kind)
    }
    assert files_of(default_project) == (
        project_files() | root_environment_files("conda") | components
    )
    assert sorted(p.name for p in (default_project / "components").iterdir()) == (
        sorted(DEFAULT_CHAIN)
    )


def test_each_component_is_what_the_step_template_renders(default_project, tmp_path):
    for kind in DEFAULT_CHAIN:
        alone = Path(
            cookiecutter(
                str(REPO_ROOT),
                no_input=True,
                output_dir=str(tmp_path),
                extra_context={"step_kind": kind, "project_slug": kind},
            )
        )
        component = default_project / "components" / kind
        # And what cruft needs to update it.
        assert files_of(component) == files_of(alone) | {".cruft.json"}
        _, mismatch, errors = filecmp.cmpfiles(
            alone, component, sorted(files_of(alone)), shallow=False
        )
        assert (mismatch, errors) == ([], []), kind


def test_the_root_files_are_rendered_parsed_and_clean(default_project, tmp_path):
    raw = PIPELINE_JSON["_copy_without_render"]
    for name in project_files():
        if not any(fnmatch.fnmatch(name, pattern) for pattern in raw):
            assert_no_jinja_left_in(default_project / name)
    project = load_project(str(default_project))
    assert project.env_type == "conda_env"
    entry_point = project.get_entry_point("main")
    assert set(entry_point.parameters) == {"steps", "hydra_options"}
    assert entry_point.compute_command({}, str(tmp_path)) == (
        "python main.py --steps all --hydra_options ''"
    )
    for name in (".github/workflows/pipeline.yml", ".pre-commit-config.yaml"):
        assert yaml.safe_load((default_project / name).read_text())
    assert_ruff_clean(default_project)


def assert_no_jinja_left_in(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for marker in ("{{", "{%", "{#"):
        assert marker not in text, f"{marker!r} left in {path}"


def test_config_yaml_wires_the_chain_in_order(default_project, monkeypatch):
    config = OmegaConf.load(default_project / "config.yaml")
    groups = ["defaults", "main", "etl", "modeling", "hydra"]
    assert list(config) == groups + DEFAULT_CHAIN
    assert config.main.project_name == PIPELINE_JSON["project_name"].lower().replace(
        " ", "_"
    )
    assert config.main.env_manager == "conda"
    text = (default_project / "config.yaml").read_text()
    assert ": ???" not in text
    # Every block is what the step template's own hook appends for the kind.
    for index, kind in enumerate(DEFAULT_CHAIN):
        context = {"step_kind": kind, "project_slug": kind}
        context["short_description"] = ext.kind_default_description(kind)
        assert ext.pipeline_block(context, DEFAULT_CHAIN[:index]) in text


@pytest.mark.parametrize("environment", ext.ENVIRONMENTS)
def test_each_environment_gives_the_driver_its_environment(environment, tmp_path):
    project = render_pipeline(tmp_path, environment=environment, steps=SHORT_CHAIN)
    settings = ext.pipeline_environment(environment)
    for name in root_environment_files(environment):
        assert (project / name).is_file()
    assert not (project / "_root_environments").exists()
    spec = yaml.safe_load((project / "MLproject").read_text())
    field = {"conda": "conda_env", "python_env": "python_env"}[settings["root"]]
    assert field in spec
    assert (
        OmegaConf.load(project / "config.yaml").main.env_manager
        == (settings["env_manager"])
    )
    for kind in SHORT_CHAIN.split(","):
        assert (project / "components" / kind / "MLproject").is_file()
    assert load_project(str(project / "components" / "get_data")).name


def test_a_short_chain_leaves_an_input_to_set_when_its_producer_is_missing(
    tmp_path, capfd
):
    project = render_pipeline(tmp_path, steps="data_split,basic_cleaning")
    assert (
        "First set data_split.input, basic_cleaning.input_artifact in config.yaml"
        in capfd.readouterr().out
    )
    config = OmegaConf.load(project / "config.yaml")
    assert list(config)[-2:] == ["data_split", "basic_cleaning"]
    assert OmegaConf.is_missing(config.data_split, "input")
    assert OmegaConf.is_missing(config.basic_cleaning, "input_artifact")


def test_free_text_answers_stay_data(tmp_path):
    name = "Prices | <b>[x](y)</b> ${oops} `code` # not a heading"
    project = render_pipeline(
        tmp_path,
        project_name=name,
        project_slug="prices",
        wandb_project="prices",
        steps="get_data",
    )
    readme = (project / "README.md").read_text()
    assert readme.splitlines()[0] == "# " + ext.md_inline(name)
    # A step is added with the template it came from, as an absolute path.
    assert f"cookiecutter {REPO_ROOT} -o components/" in readme
    assert OmegaConf.load(project / "config.yaml").main.project_name == "prices"


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"steps": "get_data,cleaning"}, "steps"),
        ({"steps": "get_data,get_data"}, "steps"),
        ({"steps": ""}, "steps"),
        ({"wandb_project": "my/project"}, "wandb_project"),
        ({"wandb_entity": "a team"}, "wandb_entity"),
        ({"project_slug": "2pipes"}, "project_slug"),
        ({"project_name": " "}, "project_name"),
    ],
)
def test_a_bad_answer_is_refused_and_leaves_no_folder(answers, field, tmp_path):
    command = [BIN / "cookiecutter", "--no-input", REPO_ROOT, "--directory"]
    command += ["pipeline", "-o", tmp_path]
    command += [f"{key}={value}" for key, value in answers.items()]
    result = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert f"  - {field}: " in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_rendering_the_components_leaves_the_users_replay_files_alone(tmp_path):
    replay = tmp_path / "replay"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"replay_dir": str(replay)}))
    render_pipeline(tmp_path / "out", config_file=config, steps=SHORT_CHAIN)
    assert sorted(p.name for p in replay.iterdir()) == ["pipeline.json"]


def test_the_shipped_sample_is_the_generators_output(tmp_path):
    write_listings(tmp_path / "sample.csv", rows=1000, seed=42)
    shipped = PROJECT_TEMPLATE / "data" / "sample_listings.csv"
    assert shipped.read_bytes() == (tmp_path / "sample.csv").read_bytes()


def test_the_workflow_and_the_pre_commit_config_pass_their_schemas(default_project):
    workflow = default_project / ".github" / "workflows" / "pipeline.yml"
    checked = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows"]
        + [workflow],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    validated = subprocess.run(
        [BIN / "pre-commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=default_project,
        capture_output=True,
        text=True,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr


# --- a step added to a generated project --------------------------------------------


def add_step(project: Path, **answers) -> Path:
    return Path(
        cookiecutter(
            str(REPO_ROOT),
            no_input=True,
            output_dir=str(project / "components"),
            extra_context=answers,
            overwrite_if_exists=True,
        )
    )


def test_a_step_rendered_into_components_registers_once(tmp_path, capfd):
    project = render_pipeline(tmp_path, steps=SHORT_CHAIN)
    before = (project / "config.yaml").read_text()
    add_step(project, step_kind="generic", project_name="My Step")
    after = (project / "config.yaml").read_text()
    assert after.startswith(before)  # appended: the team's text and comments stay
    config = OmegaConf.load(project / "config.yaml")
    assert list(config)[-1] == "my_step"
    assert OmegaConf.is_missing(config.my_step, "input_artifact")
    assert "set my_step.input_artifact" in capfd.readouterr().out
    # Rendered again (the step's hook refuses to overwrite its own files, so a team
    # removes the folder first): the block, maybe edited since, stays as it is.
    shutil.rmtree(project / "components" / "my_step")
    add_step(project, step_kind="generic", project_name="My Step")
    assert (project / "config.yaml").read_text() == after
    assert "already has a block my_step" in capfd.readouterr().out


def test_a_step_rendered_elsewhere_leaves_a_config_yaml_alone(tmp_path):
    # The documented starter repo has a config.yaml and components/ too, no marker.
    (tmp_path / "components").mkdir()
    (tmp_path / "config.yaml").write_text("main:\n  steps: all\n")
    add_step(tmp_path, step_kind="generic")
    assert (tmp_path / "config.yaml").read_text() == "main:\n  steps: all\n"
    assert step_post_gen.pipeline_root(tmp_path / "components" / "x") is None


@pytest.mark.slow
def test_cruft_creates_a_pipeline_project(tmp_path, env, template_repo):
    created = run(
        [BIN / "cruft", "create", template_repo, "--directory", "pipeline"]
        + ["--no-input", "--output-dir", tmp_path, "--extra-context"]
        + [json.dumps({"steps": SHORT_CHAIN})],
        env,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    project = tmp_path / "nyc_airbnb_pipeline"
    state = json.loads((project / ".cruft.json").read_text())
    assert state["directory"] == "pipeline"
    assert list(OmegaConf.load(project / "config.yaml"))[-2:] == SHORT_CHAIN.split(",")


@pytest.mark.slow
def test_cruft_update_of_a_registered_step_leaves_its_block(
    tmp_path, env, template_repo
):
    project = render_pipeline(tmp_path, steps=SHORT_CHAIN)
    git(project, env, "init", "-q")
    created = run(
        [BIN / "cruft", "create", template_repo, "--no-input"]
        + ["--output-dir", project / "components", "--extra-context"]
        + [json.dumps({"step_kind": "generic", "project_name": "My Step"})],
        env,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    registered = (project / "config.yaml").read_text()
    assert list(OmegaConf.load(project / "config.yaml"))[-1] == "my_step"
    commit_all(project, env, "a pipeline and a step")

    readme = template_repo / "{{cookiecutter.project_slug | folder_name}}/README.md"
    readme.write_text(readme.read_text() + "\nA template change.\n")
    commit_all(template_repo, env, "template change")
    updated = run(
        [BIN / "cruft", "update", "--project-dir", project / "components" / "my_step"]
        + ["--skip-apply-ask"],
        env,
    )
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert (
        "A template change."
        in (project / "components" / "my_step" / "README.md").read_text()
    )
    assert (project / "config.yaml").read_text() == registered


@pytest.mark.slow
def test_make_update_steps_brings_every_step_and_its_wiring_to_the_new_commit(
    tmp_path, env, template_repo
):
    # By cookiecutter's own command: this process has the working tree's
    # local_extensions loaded, which would name this checkout's commit.
    rendered = run(
        [BIN / "cookiecutter", "--no-input", "-o", tmp_path, template_repo]
        + ["--directory", "pipeline", f"steps={SHORT_CHAIN}"],
        env,
    )
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    project = tmp_path / "nyc_airbnb_pipeline"
    steps = [project / "components" / step for step in SHORT_CHAIN.split(",")]
    for step in steps:
        check = run([BIN / "cruft", "check", "--project-dir", step], env)
        assert check.returncode == 0, check.stdout + check.stderr
    git(project, env, "init", "-q")
    commit_all(project, env, "generated")

    readme = template_repo / "{{cookiecutter.project_slug | folder_name}}/README.md"
    readme.write_text(readme.read_text() + "\nA template change.\n")
    new_commit = commit_all(template_repo, env, "template change")
    updated = run(["make", "-C", project, f"BIN={BIN}", "update-steps"], env)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    for step in steps:
        assert "A template change." in (step / "README.md").read_text()
        requirement = (step / "requirements.txt").read_text()
        assert f"{template_repo}@{new_commit}#" in requirement
    versions = run(
        [BIN / "python", "-m", "step_io.versions", "components"], env, project
    )
    assert versions.returncode == 0, versions.stderr


# --- the chain, run offline through `mlflow run .` ----------------------------------

RUN_GROUP = pytest.mark.xdist_group("pipeline_run")


def make_run(project: Path, env: dict, *options: str, steps: str | None = None):
    """``make run`` (``mlflow run .`` with every step in this environment), with the
    suite's virtual environment standing in for the project's own."""
    if steps is None:
        command = ["make", "-C", project, f"BIN={BIN}"]
        command += [f"HYDRA_OPTIONS={' '.join(options)}", "run"]
    else:
        command = [BIN / "mlflow", "run", ".", "--env-manager", "local", "-P"]
        command += [f"steps={steps}", "-P"]
        command += ["hydra_options=main.env_manager=local " + " ".join(options)]
    return run(command, env, cwd=project, timeout=600)


SMALL_FOREST = (
    "modeling.random_forest.n_estimators=20",
    "modeling.max_tfidf_features=5",
)


@pytest.fixture(scope="module")
def ran_project(tmp_path_factory):
    """The default project, committed to git, then the whole chain run once, on the
    shipped sample copied to a path with a space (passed quoted, as a user would)."""
    project = render_pipeline(tmp_path_factory.mktemp("run"))
    env = offline_env(project.parent)
    git_env = {**env, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    git_env.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    git(project, git_env, "init", "-q")
    commit_all(project, git_env, "generated")
    sample = tmp_path_factory.mktemp("data") / "my listings.csv"
    shutil.copy(project / "data" / "sample_listings.csv", sample)
    result = make_run(project, env, f"etl.sample='{sample}'", *SMALL_FOREST)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    raw = project / "components" / "get_data" / "outputs" / "raw_data.csv"
    assert raw.read_bytes() == sample.read_bytes()
    return project, env, result


# What each step shows in W&B besides its numbers: key -> W&B's media type.
PICTURES = {
    "basic_cleaning": {
        "preview": "table-file",
        "price_before": "histogram",
        "price_after": "histogram",
    },
    "data_check": {"checks": "table-file"},
    "data_split": {"split_sizes": "table-file"},
    "train_random_forest": {
        "feature_importance": "image-file",
        "predicted_vs_actual": "image-file",
    },
    "test_regression_model": {
        "predicted_vs_actual": "image-file",
        "residuals": "image-file",
        "worst_predictions": "table-file",
    },
}


@RUN_GROUP
@pytest.mark.slow
def test_the_whole_chain_runs_offline_and_ends_with_test_scores(ran_project):
    project, _, result = ran_project
    ran = [line for line in result.stdout.splitlines() if line.startswith("=== ")]
    assert [line for line in ran if ":" not in line] == [
        f"=== {kind}" for kind in DEFAULT_CHAIN
    ]
    match = re.search(r"=== test_regression_model: mae=(\S+) r2=(\S+)", result.stdout)
    assert match, result.stdout[-2000:]
    mae, r2 = (float(value) for value in match.groups())
    assert mae > 0 and math.isfinite(r2) and r2 <= 1
    runs = {}
    for kind in DEFAULT_CHAIN:
        (runs[kind],) = offline_runs(project / "components" / kind)
        assert runs[kind].exit_code == 0, kind
        # One W&B project and group for the whole chain, from config.yaml's main.
        assert runs[kind].run.project == "nyc_airbnb_pipeline", kind
        assert runs[kind].run.run_group == "development", kind
    logged = {
        kind: {(a.name, a.type) for a in run_.artifacts} for kind, run_ in runs.items()
    }
    assert logged == {
        "get_data": {("raw_data.csv", "raw_data")},
        "basic_cleaning": {("clean_sample.csv", "clean_sample")},
        "data_check": set(),
        "data_split": {
            ("trainval_data.csv", "segregated_data"),
            ("test_data.csv", "segregated_data"),
        },
        "train_random_forest": {("random_forest_export", "model_export")},
        "test_regression_model": set(),
        "promote_model": set(),
    }
    # The tables, histograms and plots a person looks at, in the steps' offline logs.
    for kind, shown in PICTURES.items():
        for key, media_type in shown.items():
            assert [m["_type"] for m in runs[kind].media(key)] == [media_type], key
    (split_sizes,) = runs["data_split"].media("split_sizes")
    assert split_sizes["ncols"] == 3  # split, stratum, rows
    # Every check passed on the sample, each with the figure it checked.
    (checks,) = runs["data_check"].tables("checks")
    assert checks["columns"] == ["check", "outcome", "figure", "value", "expected"]
    outcomes = {row[0]: row[1] for row in checks["data"]}
    assert outcomes and set(outcomes.values()) == {"passed"}, checks["data"]
    figures = {row[0]: row[2:4] for row in checks["data"]}
    assert figures["test_row_count"][0] == "rows" and figures["test_row_count"][1] > 0
    # The first model is promoted (there is none before it), and registered.
    assert runs["promote_model"].summary["promoted"] is True
    assert "promoted: there is no current model" in result.stdout
    assert "MLflow: price_model version 1 has the alias 'champion'" in result.stdout
    # The forest's settings reached the step through a JSON file of the group.
    assert runs["train_random_forest"].config["model"]["n_estimators"] == 20
    assert len(runs["train_random_forest"].history) >= 2


@RUN_GROUP
@pytest.mark.slow
def test_a_run_leaves_only_ignored_files(ran_project):
    project, env, _ = ran_project
    assert git(project, env, "status", "--porcelain") == ""


@RUN_GROUP
@pytest.mark.slow
def test_steps_take_several_names_and_get_data_downloads(ran_project, tmp_path):
    project, env, _ = ran_project
    write_listings(tmp_path / "listings.csv", rows=2000, seed=3)
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(tmp_path)
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/listings.csv"
        result = make_run(project, env, f"etl.sample={url}", steps=SHORT_CHAIN)
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    ran = [line for line in result.stdout.splitlines() if line.startswith("=== ")]
    assert ran == ["=== get_data", "=== basic_cleaning"]
    raw = project / "components" / "get_data" / "outputs" / "raw_data.csv"
    assert raw.read_bytes() == (tmp_path / "listings.csv").read_bytes()


@RUN_GROUP
@pytest.mark.slow
def test_an_added_step_runs_through_the_config(ran_project):
    project, env, _ = ran_project
    add_step(project, step_kind="generic", project_name="My Step")
    # Its input is ??? until set (the project's own tests show the refusal).
    result = make_run(
        project, env, "my_step.input_artifact=${output:basic_cleaning}", steps="my_step"
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (project / "components" / "my_step" / "outputs" / "my_step.csv").is_file()


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in files_of(folder)}


@RUN_GROUP
@pytest.mark.slow
def test_a_sweep_gives_each_job_its_own_model(ran_project):
    project, env, _ = ran_project
    # The documented form, -m last (the project's own tests move it first, wherever
    # it stands, as Hydra needs).
    options = ["modeling.random_forest.max_depth=2,8", *SMALL_FOREST, "-m"]
    result = make_run(project, env, *options, steps="train_random_forest")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (sweep,) = (project / "multirun").glob("*/*")
    exports = [
        sweep / job / "train_random_forest" / "outputs" / "random_forest_export"
        for job in ("0", "1")
    ]
    assert folder_bytes(exports[0]) != folder_bytes(exports[1])
    runs = offline_runs(project / "components" / "train_random_forest")
    assert len(runs) == 3 and all(run_.exit_code == 0 for run_ in runs)


# --- the project's own `make test` (`make test-project`; .ci/run runs it too) -------


@pytest.mark.project
def test_the_projects_own_make_test_passes(default_project):
    """Lint from the root (each step with its own ruff config), every step's tests
    and the config's checks, in one pytest call from the root."""
    env = offline_env(default_project.parent)
    result = subprocess.run(
        ["make", "-C", str(default_project), f"BIN={BIN}", "test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(r"\d+ passed", result.stdout)
