"""The benchmark's own measuring: a process's peak memory is its own, and a target
says whether it is met. (The benchmark itself runs in `make bench`, not here.)"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_under_test", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_a_small_process_measures_small_however_big_the_benchmark(bench, tmp_path):
    # A forked child's maximum resident set starts as its parent's size and keeps it
    # across exec: the peak must be measured for the command alone.
    ballast = bytearray(400 * 1024 * 1024)
    ballast[::4096] = b"x" * len(ballast[::4096])
    small = bench.measure([sys.executable, "-c", "pass"], tmp_path, {})
    assert small.peak_mb < 100
    del ballast


def test_a_big_process_measures_at_least_what_it_held(bench, tmp_path):
    code = "b = bytearray(300 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"
    big = bench.measure([sys.executable, "-c", code], tmp_path, {})
    assert big.peak_mb >= 300
    assert big.service_mb == 0  # it started no wandb-core


def test_a_failed_command_is_reported_with_its_stderr(bench, tmp_path):
    code = "import sys; sys.exit('no such listings')"
    with pytest.raises(RuntimeError, match="no such listings"):
        bench.measure([sys.executable, "-c", code], tmp_path, {})


@pytest.mark.parametrize(
    ("value", "met", "mark"), [(1.9, True, "- met:"), (2.1, False, "- MISSED:")]
)
def test_a_target_says_whether_it_is_met(bench, value, met, mark):
    target = bench.Target("wall time at 20,000 rows, step / plain", value, 2.0)
    assert target.met is met
    assert target.line().startswith(mark)
    assert "(target at most 2×)" in target.line()
