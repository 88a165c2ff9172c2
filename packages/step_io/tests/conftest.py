"""The fixtures a step's tests get from step_io.testing, for the package's own."""

from step_io.testing import listings, offline_wandb, recorded_runs  # noqa: F401
