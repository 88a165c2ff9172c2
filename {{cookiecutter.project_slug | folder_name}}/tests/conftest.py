"""Fixtures for the step's own tests: W&B offline in a temporary folder, the W&B runs
the step starts, and a few listings rows shaped like the pipeline's data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from step_testing import RecordedRun

STEP_DIR = Path(__file__).resolve().parents[1]
# run.py and step_io.py sit beside tests/, and pytest puts only tests/ on the path.
sys.path.insert(0, str(STEP_DIR))


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
    return tmp_path


@pytest.fixture
def recorded_runs(offline_wandb, monkeypatch):
    """The W&B runs the step starts, in order, each the real offline run wrapped in a
    RecordedRun; empty while the step has started none."""
    # Imported here, once the step's folder is on the path (see above).
    import step_io

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
