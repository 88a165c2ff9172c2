"""Fixtures shared by the template's tests: sample data, a rendered step, and the
environment in which a rendered step runs through the real ``mlflow run``."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import settings

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

from make_sample_data import write_listings  # noqa: E402

SAMPLE_ROWS = 500

# The property tests stay bounded and repeatable in `make test`; `make test-thorough`
# (--hypothesis-profile=thorough) draws many more, with fresh randomness each time.
settings.register_profile(
    "bounded", max_examples=25, deadline=timedelta(seconds=60), derandomize=True
)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile("bounded")

# One answer of each parameter type, with and without a default.
ALL_TYPES_PARAMETERS = (
    "min_count:int=1, ratio:float=0.5, label:str=none, loud:bool=false, note:str"
)


@pytest.fixture(scope="session")
def sample_csv(tmp_path_factory) -> Path:
    """Listings with the real data's awkward titles (commas, quotes, line breaks)."""
    path = tmp_path_factory.mktemp("data") / "listings.csv"
    write_listings(path, rows=SAMPLE_ROWS, seed=7)
    return path


def offline_env(folder: Path) -> dict[str, str]:
    """Offline W&B, a throwaway MLflow store, and this suite's Python first on PATH
    (``mlflow run --env-manager local`` runs the first ``python`` it finds)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    env["WANDB_MODE"] = "offline"
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{folder / 'mlflow.db'}"
    # wandb stages artifact files and keeps caches under the home folder by default.
    for variable in ("WANDB_DATA_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR"):
        env[variable] = str(folder / variable.lower())
    env.pop("WANDB_API_KEY", None)
    # A step's environment holds none of the pytest plugins this suite's does
    # (hypothesis, pytest-cookies, Hydra's): loading them would only add seconds to
    # every pytest a step starts (data_check's command, each step's own tests).
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return env


@pytest.fixture
def step_env(tmp_path) -> dict[str, str]:
    return offline_env(tmp_path)


def mlflow_run(project: Path, env: dict[str, str], **params: str):
    """``mlflow run <project> --env-manager local -P k=v ...``, its output captured."""
    command = [str(Path(sys.executable).parent / "mlflow"), "run", str(project)]
    command += ["--env-manager", "local"]
    for name, value in params.items():
        command += ["-P", f"{name}={value}"]
    return subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=300
    )


def start_in_own_group(argv: list[str], cwd: Path, env: dict[str, str]):
    """``argv`` in a process group of its own, as a scheduler starts a step, its
    output captured: the group can be signalled, or killed if it hangs."""
    return subprocess.Popen(
        [str(part) for part in argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``process``; a process that hangs is killed
    with its whole group, and the test fails."""
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"{process.args} hung for {timeout} s and was killed")
    return process.returncode, stdout, stderr


# --- a team's machine: HOME, git, and the template as a git repository ---------------


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ)
    env.pop("COOKIECUTTER_CONFIG", None)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Team Member",
        GIT_AUTHOR_EMAIL="member@example.com",
        GIT_COMMITTER_NAME="Team Member",
        GIT_COMMITTER_EMAIL="member@example.com",
    )
    return env


def run(
    command: list, env: dict[str, str], cwd: Path | None = None, timeout: float = 120
):
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    result = run(["git", *args], env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def commit_all(repo: Path, env: dict[str, str], message: str) -> str:
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-q", "-m", message)
    return git(repo, env, "rev-parse", "HEAD")


@pytest.fixture
def template_repo(tmp_path, env) -> Path:
    """A git checkout of the template as the working tree has it now: every file git
    would track (uncommitted work included, ignored files such as .venv left out)."""
    repo = tmp_path / "template"
    repo.mkdir()
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is skipped
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            # A symlink stays one (pipeline/local_extensions.py), as git clones it.
            shutil.copy2(source, repo / name, follow_symlinks=False)
    git(repo, env, "-c", "init.defaultBranch=main", "init", "-q")
    commit_all(repo, env, "template")
    return repo
