"""Team use, through the real ``cruft`` and ``cookiecutter`` CLIs, as the README's
"Team use" section describes: steps kept in sync with their template by cruft,
team-wide defaults from a cookiecutter user config, and re-rendering a step with
``--replay`` / ``--replay-file``.

Every command runs with HOME in a temporary folder, so the user's own cookiecutter
config, replay files and git config neither affect the tests nor get written."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, commit_all, git, run

BIN = Path(sys.executable).parent
COOKIECUTTER = str(BIN / "cookiecutter")
CRUFT = str(BIN / "cruft")
STEP_README = "{{cookiecutter.project_slug | folder_name}}/README.md"

# A team's defaults, as its members would keep them in ~/.cookiecutterrc.
TEAM_DEFAULTS = {
    "project_name": "Price Filter",
    "short_description": "Team default keeps listings priced in range",
    "parameters": "min_rows:int=1, ratio:float=0.5",
    "python_version": "3.12",
}


def user_config(tmp_path: Path, default_context: dict[str, str]) -> Path:
    """A cookiecutter user config keeping its cache and replay files under tmp."""
    path = tmp_path / "cookiecutterrc.yaml"
    config = {
        "cookiecutters_dir": str(tmp_path / "cookiecutters"),
        "replay_dir": str(tmp_path / "replay"),
        "default_context": default_context,
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def read_yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def mlproject_parameters(step: Path) -> dict:
    return read_yaml(step / "MLproject")["entry_points"]["main"]["parameters"]


def conda_python(step: Path) -> str:
    dependencies = read_yaml(step / "conda.yml")["dependencies"]
    return next(d for d in dependencies if str(d).startswith("python"))


def readme_parameters(step: Path) -> dict[str, tuple[str, str]]:
    """The README's parameter table as name -> (type, default)."""
    rows = {}
    for line in (step / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            name, type_, default = (cell.strip() for cell in line.split(" | ")[:3])
            rows[name.strip("|` ")] = (type_, default)
    return rows


def files_of(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# --- cruft -------------------------------------------------------------------------


@pytest.mark.slow
def test_cruft_creates_checks_and_updates_a_step(tmp_path, env, template_repo):
    # The step lives in the team's pipeline repository, as a sub-folder.
    pipeline = tmp_path / "pipeline"
    pipeline.mkdir()
    git(pipeline, env, "-c", "init.defaultBranch=main", "init", "-q")

    created = run(
        [CRUFT, "create", template_repo, "--no-input", "--output-dir", pipeline], env
    )
    assert created.returncode == 0, created.stdout + created.stderr
    step = pipeline / "basic_cleaning"
    state = json.loads((step / ".cruft.json").read_text(encoding="utf-8"))
    assert state["template"] == str(template_repo)
    assert state["commit"] == git(template_repo, env, "rev-parse", "HEAD")
    assert state["context"]["cookiecutter"]["project_slug"] == "basic_cleaning"
    assert (step / "MLproject").is_file() and (step / "run.py").is_file()
    assert not (step / "_kinds").exists()

    # A team member's own edit to the step, committed with it.
    readme = step / "README.md"
    text = readme.read_text(encoding="utf-8")
    edited = text.replace("# Basic Cleaning\n", "# Basic Cleaning\n\nOwned by us.\n", 1)
    assert edited != text
    readme.write_text(edited, encoding="utf-8")
    commit_all(pipeline, env, "add the basic_cleaning step")

    check = run([CRUFT, "check", "--project-dir", step], env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "up to date" in check.stdout

    # The template moves on.
    new_line = "Template change: every step's README gets this line."
    with (template_repo / STEP_README).open("a", encoding="utf-8") as handle:
        handle.write(f"\n{new_line}\n")
    new_commit = commit_all(template_repo, env, "a new line in the step README")

    check = run([CRUFT, "check", "--project-dir", step], env)
    assert check.returncode == 1
    assert "out of date" in check.stdout + check.stderr

    # With uncommitted changes in the repository, cruft update refuses to run.
    (step / "notes.txt").write_text("not committed\n", encoding="utf-8")
    refused = run([CRUFT, "update", "--project-dir", step, "--skip-apply-ask"], env)
    assert refused.returncode != 0
    assert "unclean" in refused.stdout + refused.stderr
    assert new_line not in readme.read_text(encoding="utf-8")
    (step / "notes.txt").unlink()

    update = run([CRUFT, "update", "--project-dir", step, "--skip-apply-ask"], env)
    assert update.returncode == 0, update.stdout + update.stderr
    updated = readme.read_text(encoding="utf-8")
    assert new_line in updated.splitlines()
    assert "Owned by us." in updated.splitlines()  # the local edit survives
    state = json.loads((step / ".cruft.json").read_text(encoding="utf-8"))
    assert state["commit"] == new_commit
    # cruft leaves the update uncommitted, for review.
    status = git(pipeline, env, "status", "--porcelain").splitlines()
    assert sorted(line.split()[-1] for line in status) == [
        "basic_cleaning/.cruft.json",
        "basic_cleaning/README.md",
        "basic_cleaning/conda.yml",
        "basic_cleaning/requirements.txt",
    ]
    # The step's wiring moves to the new commit with it.
    assert f"@{new_commit}#" in (step / "requirements.txt").read_text("utf-8")

    check = run([CRUFT, "check", "--project-dir", step], env)
    assert check.returncode == 0, check.stdout + check.stderr


def test_cruft_create_takes_the_team_defaults_from_a_user_config(
    tmp_path, env, template_repo
):
    config = user_config(tmp_path, TEAM_DEFAULTS)
    out = tmp_path / "out"
    created = run(
        [CRUFT, "create", template_repo, "--no-input", "--config-file", config]
        + ["--output-dir", out],
        env,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    state = json.loads((out / "price_filter" / ".cruft.json").read_text("utf-8"))
    answers = state["context"]["cookiecutter"]
    for key, value in TEAM_DEFAULTS.items():
        assert answers[key] == value
    assert conda_python(out / "price_filter") == "python=3.12"


# --- default_context ---------------------------------------------------------------


@pytest.mark.parametrize(
    "given_by", ["--config-file", "COOKIECUTTER_CONFIG", "~/.cookiecutterrc"]
)
def test_a_user_config_sets_team_wide_defaults(tmp_path, env, given_by):
    config = user_config(tmp_path, TEAM_DEFAULTS)
    out = tmp_path / "out"
    command = [COOKIECUTTER, "--no-input", REPO_ROOT, "-o", out]
    if given_by == "--config-file":
        command[2:2] = ["--config-file", config]
    elif given_by == "COOKIECUTTER_CONFIG":
        env = dict(env, COOKIECUTTER_CONFIG=str(config))
    else:
        config = config.rename(Path(env["HOME"]) / ".cookiecutterrc")
    result = run(command, env)
    assert result.returncode == 0, result.stderr

    step = out / "price_filter"
    assert read_yaml(step / "MLproject")["name"] == "price_filter"
    parameters = mlproject_parameters(step)
    assert (
        parameters["output_description"]["default"]
        == TEAM_DEFAULTS["short_description"]
    )
    assert parameters["min_rows"] == {
        "description": "Step parameter min_rows (integer).",
        "type": "float",
        "default": 1,
    }
    assert parameters["ratio"]["default"] == 0.5
    assert conda_python(step) == "python=3.12"
    lines = (step / "README.md").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# Price Filter"
    assert lines[2] == TEAM_DEFAULTS["short_description"]
    table = readme_parameters(step)
    assert table["min_rows"] == ("int", "1")
    assert table["ratio"] == ("float", "0.5")
    # The config's replay_dir was used, and nothing else was written to HOME.
    assert (tmp_path / "replay" / f"{REPO_ROOT.name}.json").is_file()
    assert [p.name for p in Path(env["HOME"]).iterdir()] in ([], [".cookiecutterrc"])


def test_the_command_line_beats_the_user_config_which_beats_cookiecutter_json(
    tmp_path, env
):
    config = user_config(tmp_path, TEAM_DEFAULTS)
    out = tmp_path / "out"
    result = run(
        [COOKIECUTTER, "--no-input", "--config-file", config, REPO_ROOT, "-o", out]
        + ["python_version=3.13", "short_description=Given on the command line"],
        env,
    )
    assert result.returncode == 0, result.stderr

    step = out / "price_filter"  # project_name still comes from the user config
    assert conda_python(step) == "python=3.13"
    assert (
        mlproject_parameters(step)["output_description"]["default"]
        == "Given on the command line"
    )
    assert set(mlproject_parameters(step)) >= {"min_rows", "ratio"}
    # What neither sets comes from cookiecutter.json.
    defaults = json.loads((REPO_ROOT / "cookiecutter.json").read_text("utf-8"))
    replay = json.loads((tmp_path / "replay" / f"{REPO_ROOT.name}.json").read_text())
    answers = replay["cookiecutter"]
    assert answers["long_description"] == defaults["long_description"]
    assert answers["step_kind"] == defaults["step_kind"][0]
    assert answers["project_slug"] == answers["job_type"] == "price_filter"


# --- replay ------------------------------------------------------------------------


def render_with_answers(tmp_path: Path, env: dict[str, str]) -> tuple[Path, Path]:
    """Render a step from command-line answers; return its folder and the config."""
    config = user_config(tmp_path, {})
    first = tmp_path / "first"
    result = run(
        [COOKIECUTTER, "--no-input", "--config-file", config, REPO_ROOT, "-o", first]
        + [
            "project_name=Clean Prices",
            "step_kind=basic_cleaning",
            "parameters=min_reviews:int=0",
            "python_version=3.13",
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    return first / "clean_prices", config


def test_replay_renders_the_same_step_again(tmp_path, env):
    step, config = render_with_answers(tmp_path, env)
    second = tmp_path / "second"
    result = run(
        [COOKIECUTTER, "--replay", "--config-file", config, REPO_ROOT, "-o", second],
        env,
    )
    assert result.returncode == 0, result.stderr
    again = second / "clean_prices"
    assert read_yaml(again / "MLproject") == read_yaml(step / "MLproject")
    assert files_of(again) == files_of(step)
    assert "min_reviews" in mlproject_parameters(again)

    # --replay takes no answers besides the replayed ones.
    for extra in (["--no-input"], ["python_version=3.12"]):
        refused = run(
            [COOKIECUTTER, "--replay", "--config-file", config, REPO_ROOT]
            + ["-o", tmp_path / "refused", *extra],
            env,
        )
        assert refused.returncode != 0
        assert "can not use both replay and no_input" in refused.stdout
        assert not (tmp_path / "refused").exists()


def test_a_replay_file_renders_with_its_edited_answers(tmp_path, env):
    step, config = render_with_answers(tmp_path, env)
    replay = json.loads((tmp_path / "replay" / f"{REPO_ROOT.name}.json").read_text())

    # A team keeps one replay file per step kind, edited by hand.
    replay["cookiecutter"]["short_description"] = "Edited in the team's replay file"
    replay["cookiecutter"]["python_version"] = "3.12"
    kept = tmp_path / "team" / "basic_cleaning.json"
    kept.parent.mkdir()
    kept.write_text(json.dumps(replay, indent=2), encoding="utf-8")

    out = tmp_path / "third"
    result = run(
        [COOKIECUTTER, "--replay-file", kept, "--config-file", config, REPO_ROOT]
        + ["-o", out],
        env,
    )
    assert result.returncode == 0, result.stderr
    edited = out / "clean_prices"
    parameters = mlproject_parameters(edited)
    assert (
        parameters["output_description"]["default"]
        == "Edited in the team's replay file"
    )
    assert conda_python(edited) == "python=3.12"
    assert conda_python(step) == "python=3.13"
    unchanged = {k: v for k, v in parameters.items() if k != "output_description"}
    before = mlproject_parameters(step)
    assert unchanged == {k: v for k, v in before.items() if k != "output_description"}

    # The file holds derived answers too: a new project_name alone keeps the old slug.
    replay["cookiecutter"]["project_name"] = "Renamed Step"
    kept.write_text(json.dumps(replay, indent=2), encoding="utf-8")
    out = tmp_path / "fourth"
    result = run(
        [COOKIECUTTER, "--replay-file", kept, "--config-file", config, REPO_ROOT]
        + ["-o", out],
        env,
    )
    assert result.returncode == 0, result.stderr
    assert [p.name for p in out.iterdir()] == ["clean_prices"]
    title = (out / "clean_prices" / "README.md").read_text("utf-8").splitlines()[0]
    assert title == "# Renamed Step"
