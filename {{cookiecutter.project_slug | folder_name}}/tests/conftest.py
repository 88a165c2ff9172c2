"""Fixtures for the step's own tests: W&B offline in a temporary folder, the W&B runs
the step starts, and a few listings rows shaped like the pipeline's data.

Every step has modules of the same names (``step_io``, ``run``, ``step_testing``). So
that several steps' tests can run in one pytest call (``pytest src/*``), this step's
are loaded from its own folder under names of their own, and bound to their plain
names just before pytest imports each of this step's test files.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

STEP_DIR = Path(__file__).resolve().parents[1]
# The modules the step's files and tests import by plain name, in the order they
# import each other, and where they are.
STEP_FILES = {
    "step_io": STEP_DIR / "step_io.py",
    "run": STEP_DIR / "run.py",
    "test_data": STEP_DIR / "test_data.py",
    "step_testing": STEP_DIR / "tests" / "step_testing.py",
}
STEP_MODULES: dict[str, ModuleType] = {}


def unique_name(step_dir: Path, name: str) -> str:
    """The name the step's module ``name`` is loaded under: its own in any pytest
    call."""
    digest = hashlib.sha256(str(step_dir).encode("utf-8")).hexdigest()[:12]
    return f"{step_dir.name}_{digest}_{name}"


def bind_step_modules() -> None:
    """Make ``import run`` (and the others) give this step's modules."""
    for name in STEP_FILES:
        sys.modules.pop(name, None)
    sys.modules.update(STEP_MODULES)


def load_step_modules() -> None:
    """Load each module of the step from its own file, under a name of its own;
    each is bound as it loads, for the ones loaded after it to import."""
    for name, path in STEP_FILES.items():
        if not path.is_file():
            continue
        unique = unique_name(STEP_DIR, name)
        spec = importlib.util.spec_from_file_location(unique, path)
        module = importlib.util.module_from_spec(spec)
        STEP_MODULES[name] = sys.modules[unique] = module
        bind_step_modules()
        spec.loader.exec_module(module)


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> None:
    # Called for each of this folder's test files just before pytest imports it,
    # whatever other steps' conftest.py files have bound meanwhile.
    bind_step_modules()


load_step_modules()


@pytest.fixture
def offline_wandb(tmp_path, monkeypatch):
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
def recorded_runs(offline_wandb, monkeypatch, request):
    """The W&B runs the step starts, in order, each the real offline run wrapped in a
    RecordedRun; empty while the step has started none."""
    # The step of the test that asks. In a pytest call over several steps, pytest
    # may give a test this fixture from another step's conftest.py: each step's tests
    # folder has the same name, which is all pytest tells them apart by then.
    step_dir = request.path.parents[1]
    step_io = sys.modules[unique_name(step_dir, "step_io")]
    RecordedRun = sys.modules[unique_name(step_dir, "step_testing")].RecordedRun
    runs = []
    start_run = step_io.start_run

    def recording_start_run(job_type, name, config):
        runs.append(
            RecordedRun(start_run(job_type, name, config), job_type, name, config)
        )
        return runs[-1]

    monkeypatch.setattr(step_io, "start_run", recording_start_run)
    return runs


@pytest.fixture
def listings():
    """Eight listings with the pipeline's columns, awkward values included."""
    import pandas as pd

    return pd.DataFrame(
        {
            "id": [2539, 2595, 3647, 3831, 5022, 5099, 5121, 5178],
            "name": [
                "Clean & quiet apt home by the park",
                'Skylit "Midtown" Castle',
                "THE VILLAGE OF\nHARLEM....NEW YORK !",
                "Cozy Entire Floor of Brownstone, café nearby",
                None,
                "Large Cozy 1 BR Apartment In Midtown East",
                "BlissArtsSpace!",
                "Large Furnished Room Near B'way",
            ],
            "host_id": [2787, 2845, 4632, 4869, 7192, 7322, 7356, 8967],
            "host_name": [
                "John",
                "Jennifer",
                "Elisabeth",
                None,
                "Laura",
                "Chris",
                "Garon",
                "Shunichi",
            ],
            "neighbourhood_group": [
                "Brooklyn",
                "Manhattan",
                "Manhattan",
                "Brooklyn",
                "Manhattan",
                "Manhattan",
                "Brooklyn",
                "Manhattan",
            ],
            "neighbourhood": [
                "Kensington",
                "Midtown",
                "Harlem",
                "Clinton Hill",
                "East Harlem",
                "Murray Hill",
                "Bedford-Stuyvesant",
                "Hell's Kitchen",
            ],
            "latitude": [
                40.64749,
                40.75362,
                40.80902,
                40.68514,
                40.79851,
                40.74767,
                40.68688,
                40.76489,
            ],
            "longitude": [
                -73.97237,
                -73.98377,
                -73.9419,
                -73.95976,
                -73.94399,
                -73.975,
                -73.95596,
                -73.98493,
            ],
            "room_type": [
                "Private room",
                "Entire home/apt",
                "Private room",
                "Entire home/apt",
                "Entire home/apt",
                "Entire home/apt",
                "Private room",
                "Private room",
            ],
            "price": [149, 225, 150, 89, 80, 200, 60, 79],
            "minimum_nights": [1, 1, 3, 1, 10, 3, 45, 2],
            "number_of_reviews": [9, 45, 0, 270, 9, 74, 49, 430],
            "last_review": [
                "2018-10-19",
                "2019-05-21",
                None,
                "2019-07-05",
                "2018-11-19",
                "2019-06-22",
                "2017-10-05",
                "2019-06-24",
            ],
            "reviews_per_month": [0.21, 0.38, None, 4.64, 0.1, 0.59, 0.4, 3.47],
            "calculated_host_listings_count": [6, 2, 1, 1, 1, 1, 1, 1],
            "availability_365": [365, 355, 365, 194, 0, 129, 0, 220],
        }
    )
