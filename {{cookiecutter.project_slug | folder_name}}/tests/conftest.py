"""Fixtures for the step's own tests, from its wiring's package (step_io.testing): W&B
offline in a temporary folder, the W&B runs the step starts, and eight listings typed
as pandas.read_csv reads them. `import run` gives this step's own run.py, whatever
other steps' tests run in the same pytest call."""

from step_io.testing import bind_step, listings, offline_wandb, recorded_runs  # noqa: F401

pytest_pycollect_makemodule = bind_step(__file__)
