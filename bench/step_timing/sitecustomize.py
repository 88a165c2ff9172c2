"""Where a pipeline's processes spend their time, for the benchmark's pipeline split.

bench.py puts this folder on PYTHONPATH for one run of a generated pipeline, so that
Python loads this file at the start of every process of the chain: the driver
(main.py), each step's run.py, the data check's pytest. Each process writes one JSON
file to $BENCH_TIMINGS_DIR when it exits, holding:

- ``interpreter``: from the process's start (the kernel's start time) to here;
- ``imports``: time spent in import statements, outermost ones only, outside W&B;
- ``wandb_init`` and ``wandb_finish``: time in ``wandb.init`` and ``Run.finish``;
- ``wandb_exit``: time in W&B's exit handlers (offline, ``Run.finish`` returns at
  once and the process waits at its exit for the service to write the run);
- ``started``: the process's start, in seconds since boot;
- ``total``: from the process's start to its last exit handler;
- in the driver, ``mlflow_runs``: each ``mlflow.run`` call's project and seconds.

It changes nothing the processes do; it only wraps ``__import__``, those calls and
the exit handlers W&B registers.
"""

from __future__ import annotations

import atexit
import builtins
import functools
import json
import os
import sys
import time

_FOLDER = os.environ.get("BENCH_TIMINGS_DIR")


def _boot_seconds() -> float:
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def _process_start() -> float:
    """When the kernel started this process, in seconds since boot."""
    with open("/proc/self/stat", encoding="ascii") as file:
        fields = file.read().rpartition(")")[2].split()
    return int(fields[19]) / os.sysconf("SC_CLK_TCK")


if _FOLDER:
    _started = _process_start()
    _timings = {
        "argv": sys.argv,
        "cwd": os.getcwd(),
        "started": _started,
        "interpreter": _boot_seconds() - _started,
        "imports": 0.0,
        "wandb_init": 0.0,
        "wandb_finish": 0.0,
        "wandb_exit": 0.0,
        "mlflow_runs": [],
    }
    # Above zero while a timed call or an outer import runs: what happens inside it
    # is counted there, once.
    _depth = [0]
    _patched = set()
    _real_import = builtins.__import__

    def _timed(key: str, call):
        @functools.wraps(call)
        def timed(*args, **kwargs):
            if _depth[0]:
                return call(*args, **kwargs)
            _depth[0] += 1
            start = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                _timings[key] += time.perf_counter() - start
                _depth[0] -= 1

        return timed

    def _timed_mlflow_run(call):
        @functools.wraps(call)
        def timed(uri, *args, **kwargs):
            start = time.perf_counter()
            try:
                return call(uri, *args, **kwargs)
            finally:
                seconds = time.perf_counter() - start
                _timings["mlflow_runs"].append({"uri": str(uri), "seconds": seconds})

        return timed

    def _patch_loaded() -> None:
        """Wrap W&B's and MLflow's calls once their modules are loaded."""
        wandb = sys.modules.get("wandb")
        if "wandb" not in _patched and hasattr(wandb, "init") and hasattr(wandb, "Run"):
            _patched.add("wandb")
            wandb.init = _timed("wandb_init", wandb.init)
            wandb.Run.finish = _timed("wandb_finish", wandb.Run.finish)
        mlflow = sys.modules.get("mlflow")
        if "mlflow" not in _patched and hasattr(mlflow, "run"):
            _patched.add("mlflow")
            mlflow.run = _timed_mlflow_run(mlflow.run)

    _timed_import = _timed("imports", _real_import)

    def _import(*args, **kwargs):
        try:
            return _timed_import(*args, **kwargs)
        finally:
            if not _depth[0]:
                _patch_loaded()

    builtins.__import__ = _import
    _real_register = atexit.register

    def _register(handler, *args, **kwargs):
        if str(getattr(handler, "__module__", "")).startswith("wandb"):
            handler = _timed("wandb_exit", handler)
        return _real_register(handler, *args, **kwargs)

    atexit.register = _register

    def _write() -> None:
        _timings["total"] = _boot_seconds() - _started
        path = os.path.join(_FOLDER, f"{os.getpid()}.json")
        with open(path, "w", encoding="utf-8") as file:
            json.dump(_timings, file)

    # Registered first, so it runs last: after W&B's own exit handlers.
    _real_register(_write)
