{%- set required = cookiecutter | step_parameters | rejectattr("builtin") | selectattr("required") | list -%}
"""What the step's own tests share: the step run as its command line runs it, the
one-line failure it must end with, and stand-ins for what W&B cannot do here.

The ``recorded_runs`` fixture of conftest.py wraps each W&B run the step starts in a
RecordedRun.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This step's run.py (tests/conftest.py loaded it just before this module), if it
# has one: the data check has none, and shares this module too.
run = sys.modules.get("run")


def required_user_parameters() -> list[str]:
    """A value for each required parameter the step was generated with, as options."""
{%- if required %}
    return [
{%- for p in required %}
        "--{{ p.name }}",
        "{{ p.example }}",
{%- endfor %}
    ]
{%- else %}
    return []
{%- endif %}


def step(*argv: str) -> int:
    """The exit code of ``run.py ARGV`` run in this process, each required parameter
    the step was generated with given a value."""
    argv = [*argv, *required_user_parameters()]
    return run.step_io.main(run.build_parser, run.go, argv)


def own_parameters(*argv: str) -> dict[str, object]:
    """The step's own parameters, by name, as ``go()`` gets them for ``run.py ARGV``
    (each required one given a value, as ``step`` gives it)."""
    args = run.build_parser().parse_args([*argv, *required_user_parameters()])
    return run.step_parameters(args)


def parameters_passed_to(monkeypatch, name: str) -> list[dict[str, object]]:
    """The ``parameters`` each call of the data function ``run.<name>`` gets, as the
    step runs; the function still does its work."""
    received = []
    real = getattr(run, name)

    def spy(*args, parameters=None, **kwargs):
        received.append(parameters)
        return real(*args, parameters=parameters, **kwargs)

    monkeypatch.setattr(run, name, spy)
    return received


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
    the test: offline, W&B keeps config changes, history and summary only in its
    binary log, which wandb 0.31 has no reader for. Every call still goes to the real
    run."""

    def __init__(self, real_run, job_type: str, name: str, config: dict):
        self._real_run = real_run
        self.job_type, self.name = job_type, name
        self.config = RecordedDict(real_run.config, config)
        self.history, self.artifacts = [], []
        self.summary = RecordedDict(real_run.summary)
        self.exit_code = None

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
        self.used, self.summary = [], {}
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
