"""The three environments a step can be rendered with, each checked by the tool that
reads it: a ``python_env`` step run by the real ``mlflow run --env-manager uv``; a
``docker`` step's MLproject, Kubernetes config and job template read by MLflow's own
code and its Dockerfile by dockerfile_parse; a ``conda`` step's conda.yml. And every
version any environment writes is the one this suite runs with, so bumping a pin is
one edit of requirements.txt, proven by ``make test``.

Docker, Kubernetes and conda themselves cannot run here: those files are checked by
the code that reads them, not by a build or a cluster."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import pytest
import yaml
from component_checks import ENVIRONMENT_FILES
from conftest import REPO_ROOT, offline_env
from dockerfile_parse import DockerfileParser
from mlflow.projects import _parse_kubernetes_config, env_type
from mlflow.projects._project_spec import load_project
from mlflow.projects.docker import validate_docker_env
from mlflow.projects.kubernetes import _get_kubernetes_job_definition, _get_run_command
from mlflow.projects.utils import MLFLOW_DOCKER_WORKDIR_PATH
from mlflow.tracking import MlflowClient
from mlflow.utils.mlflow_tags import MLFLOW_PROJECT_ENV

import local_extensions as ext

# The suite's own Python: the one Python uv is sure to find on this machine.
SUITE_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
TEMPLATE_DIR = REPO_ROOT / "{{cookiecutter.project_slug | folder_name}}"
# What Kubernetes takes as a container name, and (with the timestamp MLflow appends) as
# a job name: an RFC 1123 label.
RFC_1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
IMAGE_DIGEST = "sha256:" + "0" * 64


def render(cookies, environment: str, **answers: str) -> tuple[Path, dict]:
    result = cookies.bake(extra_context={"environment": environment, **answers})
    assert result.exception is None, result.exception
    return result.project_path, result.context


def as_pins(lines: list[str]) -> dict[str, str]:
    """``name==version`` lines as {name: version}; the step's wiring, installed
    from the template's repository, as {"step_io": its whole line}."""
    pins = {}
    for line in lines:
        if line.startswith(ext.PACKAGE_NAME):
            pins["step_io"] = line
        elif line.strip() and not line.startswith("#"):
            name, _, pinned = line.partition("==")
            pins[name] = pinned
    return pins


def pins_in(requirements: Path) -> dict[str, str]:
    return as_pins(requirements.read_text(encoding="utf-8").splitlines())


def expected_pins(context: dict) -> dict[str, str]:
    """The kind's packages at the suite's versions, and the wiring at the commit."""
    pins = {name: version(name) for name in ext.step_kind(context).packages}
    return {**pins, "step_io": ext.step_io_requirement(context)}


def conda_versions(project: Path) -> tuple[str, dict[str, str]]:
    env = yaml.safe_load((project / "conda.yml").read_text(encoding="utf-8"))
    python, pip, pip_section = env["dependencies"]
    assert python.startswith("python=") and pip == "pip"
    return python.removeprefix("python="), as_pins(pip_section["pip"])


def python_env_versions(project: Path) -> tuple[str, dict[str, str]]:
    env = yaml.safe_load((project / "python_env.yaml").read_text(encoding="utf-8"))
    assert env["build_dependencies"] == ["pip"]
    assert env["dependencies"] == ["-r requirements.txt"]
    return env["python"], pins_in(project / "requirements.txt")


def docker_versions(project: Path) -> tuple[str, dict[str, str]]:
    dockerfile = DockerfileParser(path=str(project / "Dockerfile"))
    image, _, tag = dockerfile.baseimage.partition(":")
    assert image == "python" and tag.endswith("-slim")
    runs = [i["value"] for i in dockerfile.structure if i["instruction"] == "RUN"]
    assert runs[-1] == "pip install --no-cache-dir -r requirements.txt"
    return tag.removesuffix("-slim"), pins_in(project / "requirements.txt")


VERSIONS_WRITTEN = {
    "conda": conda_versions,
    "python_env": python_env_versions,
    "docker": docker_versions,
}


@pytest.mark.parametrize("kind", sorted(ext.STEP_KINDS))
@pytest.mark.parametrize("environment", ext.ENVIRONMENTS)
def test_every_version_an_environment_writes_is_the_suites_own(
    cookies, environment, kind
):
    project, context = render(
        cookies, environment, step_kind=kind, python_version=SUITE_PYTHON
    )
    python, pins = VERSIONS_WRITTEN[environment](project)
    assert python == SUITE_PYTHON
    assert pins == expected_pins(context)


def test_no_environment_file_holds_a_version_of_its_own():
    """Versions come from requirements.txt and the python_version answer only."""
    files = [p for p in (TEMPLATE_DIR / "_environments").rglob("*") if p.is_file()]
    partials = {p.name for p in files if p.name.startswith("_")}
    assert {p.name for p in files} - partials == set().union(
        *ENVIRONMENT_FILES.values()
    )
    for path in [TEMPLATE_DIR / "MLproject", *files]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\d+\.\d+", text), path.relative_to(TEMPLATE_DIR)


def test_a_conda_step_pins_its_environment_in_conda_yml(cookies):
    project, context = render(cookies, "conda", step_kind="train_random_forest")
    env = yaml.safe_load((project / "conda.yml").read_text(encoding="utf-8"))
    assert env["name"] == context["project_slug"]
    assert env["channels"] == ["conda-forge"]
    assert env["dependencies"][:2] == [f"python={context['python_version']}", "pip"]
    assert env["dependencies"][2]["pip"] == [
        f"matplotlib=={version('matplotlib')}",
        f"mlflow=={version('mlflow')}",
        f"pandas=={version('pandas')}",
        f"pyarrow=={version('pyarrow')}",
        f"wandb=={version('wandb')}",
        f"scikit-learn=={version('scikit-learn')}",
        f"tqdm=={version('tqdm')}",
        ext.step_io_requirement(context),
    ]
    assert load_project(str(project)).env_type == env_type.CONDA


@pytest.mark.slow
# Raised inside MLflow's own sqlite store when the test reads the run back.
@pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy is deprecated")
def test_a_python_env_step_runs_in_the_environment_uv_builds(
    cookies, sample_csv, tmp_path
):
    project, context = render(
        cookies, "python_env", python_version=SUITE_PYTHON, step_kind="generic"
    )
    env_root = tmp_path / "mlflow_envs"
    env_root.mkdir()
    # Offline W&B, a sqlite store, and this suite's bin (which holds uv) first on PATH.
    env = offline_env(tmp_path) | {"MLFLOW_ENV_ROOT": str(env_root)}
    command = [str(Path(sys.executable).parent / "mlflow"), "run", str(project)]
    command += ["--env-manager", "uv", "-P", f"input_artifact={sample_csv}"]
    result = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr[-3000:]

    # uv built one environment under MLFLOW_ENV_ROOT, and the step ran inside it.
    (env_dir,) = env_root.iterdir()
    assert "\nuv = " in (env_dir / "pyvenv.cfg").read_text()
    assert f"source {env_dir}/bin/activate && python run.py" in result.stderr
    probe = (
        "import json, sys, importlib.metadata as m; "
        "print(json.dumps([sys.version_info[:2], "
        "{p: m.version(p) for p in sys.argv[1:]}]))"
    )
    packages = ext.step_kind(context).packages
    inside = subprocess.run(
        [str(env_dir / "bin" / "python"), "-c", probe, *packages],
        capture_output=True,
        text=True,
        check=True,
    )
    python, versions = json.loads(inside.stdout)
    assert ".".join(map(str, python)) == SUITE_PYTHON
    assert versions == {package: version(package) for package in packages}

    # The step did its work: every row out, an offline W&B run, MLflow's record of uv.
    rows_in = pd.read_csv(sample_csv)
    rows_out = pd.read_csv(project / "outputs" / f"{context['project_slug']}.csv")
    pd.testing.assert_frame_equal(rows_out, rows_in)
    assert list((project / "wandb").glob("offline-run-*"))
    (run,) = MlflowClient(env["MLFLOW_TRACKING_URI"]).search_runs(["0"])
    assert run.info.status == "FINISHED"
    assert run.data.tags[MLFLOW_PROJECT_ENV] == "uv"


def test_mlflow_reads_a_docker_step_as_a_project_in_its_image(cookies):
    project, context = render(cookies, "docker")
    spec = load_project(str(project))
    assert spec.env_type == env_type.DOCKER
    image = ext.kubernetes_name(context["project_slug"])
    assert spec.docker_env == {"image": image}
    validate_docker_env(spec)
    assert f"docker build -t {image} ." in (project / "README.md").read_text()


@pytest.mark.parametrize(
    "slug", ["basic_cleaning", "_odd__slug_", "a" * 100, "step_" + "x" * 40]
)
def test_mlflow_builds_a_kubernetes_job_from_the_config_and_template(
    cookies, monkeypatch, slug
):
    project, context = render(cookies, "docker", project_slug=slug)
    monkeypatch.delenv("KUBE_MLFLOW_TRACKING_URI", raising=False)
    # The config names its job template relative to the step folder, where the
    # README runs `mlflow run . --backend kubernetes`.
    monkeypatch.chdir(project)
    config = json.loads(Path("kubernetes_config.json").read_text(encoding="utf-8"))
    assert set(config) == {"kube-context", "repository-uri", "kube-job-template-path"}
    kube = _parse_kubernetes_config(config)

    spec = load_project(".")
    parameters = {p.name: p.example for p in ext.step_parameters(context) if p.required}
    command = spec.get_entry_point("main").compute_command(parameters, None)
    job = _get_kubernetes_job_definition(
        spec.name,
        kube["repository-uri"],
        IMAGE_DIGEST,
        _get_run_command([command]),
        {"MLFLOW_RUN_ID": "0123abcd"},
        kube["kube-job-template"],
    )

    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == f"{kube['repository-uri']}@{IMAGE_DIGEST}"
    assert container["command"][:3] == ["python", "run.py", "--input_artifact=example"]
    assert {"name": "MLFLOW_RUN_ID", "value": "0123abcd"} in container["env"]
    assert job["metadata"]["namespace"]  # MLflow submits the job there
    # Kubernetes takes the names MLflow gives the job and its container.
    assert RFC_1123_LABEL.fullmatch(container["name"])
    assert RFC_1123_LABEL.fullmatch(job["metadata"]["name"])
    # The Kubernetes client reads the whole of it as a Job.
    parsed = kubernetes_job(job)
    assert parsed.spec.template.spec.restart_policy == "Never"
    assert parsed.spec.backoff_limit == 0
    (secret,) = parsed.spec.template.spec.containers[0].env_from
    assert (secret.secret_ref.name, secret.secret_ref.optional) == ("wandb", True)


def kubernetes_job(job: dict):
    """The job as the Kubernetes client's V1Job, read as it reads an API response."""
    from kubernetes.client import ApiClient

    class Response:
        data = json.dumps(job)

    return ApiClient().deserialize(Response(), "V1Job")


def test_the_dockerfile_installs_the_pins_then_copies_the_step(cookies):
    project, context = render(cookies, "docker", python_version=SUITE_PYTHON)
    dockerfile = DockerfileParser(path=str(project / "Dockerfile"))
    steps = [
        (i["instruction"], i["value"])
        for i in dockerfile.structure
        if i["instruction"] != "COMMENT"
    ]
    assert steps == [
        ("FROM", f"python:{SUITE_PYTHON}-slim"),
        ("ENV", "PYTHONUNBUFFERED=1"),
        # Where `mlflow run --build-image` copies the project, so both images agree.
        ("WORKDIR", MLFLOW_DOCKER_WORKDIR_PATH.rstrip("/")),
        # git, for pip to fetch the wiring from the template's repository.
        (
            "RUN",
            "apt-get update && apt-get install -y --no-install-recommends git     "
            "&& rm -rf /var/lib/apt/lists/*",
        ),
        ("COPY", "requirements.txt ."),
        ("RUN", "pip install --no-cache-dir -r requirements.txt"),
        ("COPY", ". ."),
    ]
    assert pins_in(project / "requirements.txt") == expected_pins(context)
    # Local runs stay out of the image as they stay out of git.
    ignored = {
        name: {
            line
            for line in (project / name).read_text().splitlines()
            if line and not line.startswith("#")
        }
        for name in (".dockerignore", ".gitignore")
    }
    assert ignored[".dockerignore"] == ignored[".gitignore"]
