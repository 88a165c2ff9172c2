"""What a step's own tests need, so that they hold only the step's logic.

A step's ``tests/conftest.py`` imports the fixtures it uses from here and lets this
module bind ``run`` to the step's own run.py::

    from step_io.testing import bind_step, listings, offline_wandb  # noqa: F401

    pytest_pycollect_makemodule = bind_step(__file__)

Several steps have a ``run.py`` each; ``bind_step`` loads each step's under a name of
its own and makes ``import run`` give it just before pytest imports each test file of
that step, so that ``pytest components/*`` tests each step against its own code.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from step_io import _core

# The modules a step's files and tests import by plain name, in the order they
# import each other.
STEP_MODULES = ("run", "test_data")


def unique_name(step_dir: Path, name: str) -> str:
    """The name the step's module ``name`` is loaded under: its own in any pytest
    call."""
    digest = hashlib.sha256(str(step_dir).encode("utf-8")).hexdigest()[:12]
    return f"{step_dir.name}_{digest}_{name}"


def bind_step(conftest: str) -> Callable[..., None]:
    """Load the modules of the step whose ``tests/conftest.py`` is ``conftest``, each
    under a name of its own, and return the collection hook that binds their plain
    names (``import run``) before pytest imports each of the step's test files."""
    step_dir = Path(conftest).resolve().parents[1]
    modules: dict[str, ModuleType] = {}

    def bind() -> None:
        for name in STEP_MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(modules)

    for name in STEP_MODULES:
        path = step_dir / f"{name}.py"
        if not path.is_file():
            continue
        spec = importlib.util.spec_from_file_location(unique_name(step_dir, name), path)
        module = importlib.util.module_from_spec(spec)
        modules[name] = sys.modules[spec.name] = module
        bind()
        spec.loader.exec_module(module)

    def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector):
        bind()

    return pytest_pycollect_makemodule


def run_step(run: ModuleType, *argv: str) -> int:
    """The exit code of ``python run.py ARGV``, run in this process."""
    return _core.main(run.build_parser, run.go, [str(arg) for arg in argv])


@pytest.fixture
def offline_wandb(tmp_path, monkeypatch) -> Path:
    """Run in an empty folder with W&B offline: no server is needed, none is used."""
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    for variable in ("WANDB_DIR", "WANDB_DATA_DIR", "WANDB_CACHE_DIR"):
        folder = tmp_path / variable.lower()
        folder.mkdir()
        monkeypatch.setenv(variable, str(folder))
    monkeypatch.chdir(tmp_path)
    # W&B reads WANDB_DIR once per process, when it first starts: start it afresh,
    # so that this test's runs land in this test's folder whatever ran before.
    import wandb

    wandb.teardown()
    return tmp_path


@pytest.fixture
def recorded_runs(offline_wandb, monkeypatch) -> list[RecordedRun]:
    """The W&B runs the step starts, in order, each the real offline run wrapped in a
    RecordedRun; empty while the step has started none."""
    runs: list[RecordedRun] = []
    start_run = _core.start_run

    def recording_start_run(job_type, name, config):
        runs.append(
            RecordedRun(start_run(job_type, name, config), job_type, name, config)
        )
        return runs[-1]

    import step_io

    # wandb_run calls _core's; a step calling step_io.start_run itself gets it too.
    monkeypatch.setattr(_core, "start_run", recording_start_run)
    monkeypatch.setattr(step_io, "start_run", recording_start_run)
    return runs


def use_run(monkeypatch, run) -> None:
    """Make the step's W&B run ``run``: a double, such as a FakeOnlineRun, that
    stands in for an online run where no W&B server can be reached."""
    import step_io

    monkeypatch.setattr(_core, "start_run", lambda *args: run)
    monkeypatch.setattr(step_io, "start_run", lambda *args: run)


class RecordedDict(dict):
    """What the step put in the run's summary or config, each change passed on to
    the real one."""

    def __init__(self, real, values=()):
        super().__init__(values)
        self._real = real

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self._real[key] = value

    def update(self, values, **options):
        super().update(values)
        self._real.update(values, **options)


class RecordedRun:
    """The step's real offline W&B run, with a copy of what the step logged kept for
    the test (offline, W&B keeps it only in its binary log). Every call still goes
    to the real run."""

    def __init__(self, real_run, job_type: str, name: str, config: dict):
        self._real_run = real_run
        self.job_type, self.name = job_type, name
        self.config = RecordedDict(real_run.config, config)
        self.history: list[dict] = []
        self.artifacts: list = []
        self.summary = RecordedDict(real_run.summary)
        self.exit_code: int | None = None

    def log(self, data):
        self.history.append(data)
        self._real_run.log(data)

    def log_artifact(self, artifact):
        self.artifacts.append(artifact)
        self._real_run.log_artifact(artifact)

    def finish(self, exit_code=None):
        # W&B counts a run finished without an exit code as a success.
        self.exit_code = 0 if exit_code is None else exit_code
        self._real_run.finish(exit_code)

    def __getattr__(self, name):
        return getattr(self._real_run, name)


def assert_failed_on_one_line(capsys, *fragments: str) -> str:
    """The step said why it failed on one line of stderr, and nothing else; that
    line."""
    error = capsys.readouterr().err
    assert error.endswith("\n"), error
    assert len(error.splitlines()) == 1, error
    for fragment in fragments:
        assert fragment in error
    return error


def assert_the_run_failed(recorded_runs: list[RecordedRun], error: str) -> None:
    """The step started one W&B run and finished it as failed, with no artifact
    logged and the ``error`` line it printed kept in the run's summary."""
    (recorded,) = recorded_runs
    assert recorded.exit_code == 1
    assert recorded.artifacts == []
    assert error.endswith(f": error: {recorded.summary['error']}\n"), error


class FakeArtifact:
    """A W&B artifact already downloaded to ``path``; ``save()`` hands its aliases
    to ``on_save``, as a version's save() sends them to the server."""

    def __init__(self, path: Path, on_save=None):
        self.path, self.on_save = path, on_save
        self.aliases: list[str] = []

    def file(self) -> str:
        return str(self.path)

    def download(self) -> str:
        return str(self.path)

    def save(self) -> None:
        self.on_save(list(self.aliases))


class FakeOnlineRun:
    """No W&B server can run here, so this double stands in for an online run: it
    answers use_artifact() with a local file or folder, as the artifact's file() and
    download() would, or raises as W&B does for a missing artifact; it keeps the
    summary and the exit code the step finished with."""

    offline = False

    def __init__(self, artifacts: dict[str, Path]):
        self.artifacts = artifacts
        self.used: list[str] = []
        self.summary: dict = {}
        self.saved_aliases: dict[str, list[str]] = {}
        self.history: list[dict] = []
        self.exit_code = None

    def log(self, data: dict) -> None:
        self.history.append(data)

    def use_artifact(self, reference: str) -> FakeArtifact:
        self.used.append(reference)
        if reference not in self.artifacts:
            raise ValueError(f"artifact {reference} not found")

        def on_save(aliases: list[str]) -> None:
            self.saved_aliases[reference] = aliases

        return FakeArtifact(self.artifacts[reference], on_save)

    def finish(self, exit_code=0):
        self.exit_code = exit_code


@pytest.fixture
def listings():
    """Eight listings with the pipeline's columns and pandas' dtypes, as
    ``pandas.read_csv`` reads them, awkward values included."""
    import pandas as pd

    return pd.DataFrame(
        {
            "id": [2539, 2595, 3647, 3831, 5022, 5099, 5121, 5178],
            "name": [
                *("Clean & quiet apt home by the park", 'Skylit "Midtown" Castle'),
                *("THE VILLAGE OF\nHARLEM....NEW YORK !", "Cozy Floor, café nearby"),
                *(None, "Large Cozy 1 BR Apartment In Midtown East"),
                *("BlissArtsSpace!", "Large Furnished Room Near B'way"),
            ],
            "host_id": [2787, 2845, 4632, 4869, 7192, 7322, 7356, 8967],
            "host_name": [
                *("John", "Jennifer", "Elisabeth", None),
                *("Laura", "Chris", "Garon", "Shunichi"),
            ],
            "neighbourhood_group": [
                *("Brooklyn", "Manhattan", "Manhattan", "Brooklyn"),
                *("Manhattan", "Manhattan", "Brooklyn", "Manhattan"),
            ],
            "neighbourhood": [
                *("Kensington", "Midtown", "Harlem", "Clinton Hill"),
                *("East Harlem", "Murray Hill", "Bedford-Stuyvesant", "Hell's Kitchen"),
            ],
            "latitude": [
                *(40.64749, 40.75362, 40.80902, 40.68514),
                *(40.79851, 40.74767, 40.68688, 40.76489),
            ],
            "longitude": [
                *(-73.97237, -73.98377, -73.9419, -73.95976),
                *(-73.94399, -73.975, -73.95596, -73.98493),
            ],
            "room_type": [
                *("Private room", "Entire home/apt", "Private room", "Entire home/apt"),
                *("Entire home/apt", "Entire home/apt", "Private room", "Private room"),
            ],
            "price": [149, 225, 150, 89, 80, 200, 60, 79],
            "minimum_nights": [1, 1, 3, 1, 10, 3, 45, 2],
            "number_of_reviews": [9, 45, 0, 270, 9, 74, 49, 430],
            "last_review": [
                *("2018-10-19", "2019-05-21", None, "2019-07-05"),
                *("2018-11-19", "2019-06-22", "2017-10-05", "2019-06-24"),
            ],
            "reviews_per_month": [0.21, 0.38, None, 4.64, 0.1, 0.59, 0.4, 3.47],
            "calculated_host_listings_count": [6, 2, 1, 1, 1, 1, 1, 1],
            "availability_365": [365, 355, 365, 194, 0, 129, 0, 220],
        }
    ).astype({"name": "str", "host_name": "str", "last_review": "str"})
