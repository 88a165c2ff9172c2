"""What a generated step costs, measured against plain code on this machine.

    python bench/bench.py [--sizes 10000 100000 1000000] [--repeat 3]
                          [--envs] [--suite] [--out docs/benchmarks.md]

Every figure is the median of ``--repeat`` runs, each a fresh process, reported with
the ratio to a baseline measured in the same run; peak memory is the process's own
maximum resident set (``wait4``). The targets are printed beside the figures: the
benchmark measures, it never fails on a time.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO / "scripts"))

from make_sample_data import write_listings  # noqa: E402


@dataclass
class Measure:
    seconds: float
    peak_mb: float


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> Measure:
    """Wall time and peak memory of one run of ``command``, which must succeed."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(
            f"{command} failed ({process.returncode}):\n{stderr[-2000:]}"
        )
    return Measure(seconds, usage.ru_maxrss / 1024)


def median_of(repeat: int, command, cwd, env) -> Measure:
    runs = [measure(command, cwd, env) for _ in range(repeat)]
    return Measure(
        statistics.median(r.seconds for r in runs),
        statistics.median(r.peak_mb for r in runs),
    )


def offline_env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PATH=os.pathsep.join([str(BIN), env["PATH"]]),
        WANDB_MODE="offline",
        WANDB_SILENT="true",
        WANDB_DIR=str(folder),
        WANDB_DATA_DIR=str(folder / "wandb-data"),
        WANDB_CACHE_DIR=str(folder / "wandb-cache"),
        MLFLOW_TRACKING_URI=f"sqlite:///{folder / 'mlflow.db'}",
    )
    return env


def render(kind: str, out: Path, **answers: str) -> Path:
    from cookiecutter.main import cookiecutter

    return Path(
        cookiecutter(
            str(REPO),
            no_input=True,
            output_dir=str(out),
            extra_context={"step_kind": kind, **answers},
        )
    )


def step_overhead(work: Path, sizes: list[int], repeat: int) -> list[dict]:
    """The generated basic_cleaning step against a plain pandas script."""
    step = render("basic_cleaning", work / "steps")
    env = offline_env(work)
    rows = []
    for size in sizes:
        data = work / f"listings_{size}.csv"
        write_listings(data, rows=size, seed=1)
        generated = median_of(
            repeat,
            [
                sys.executable,
                "run.py",
                f"--input_artifact={data}",
                f"--output_dir={work / 'generated'}",
            ],
            step,
            env,
        )
        plain = median_of(
            repeat,
            [
                sys.executable,
                str(REPO / "bench" / "plain_cleaning.py"),
                str(data),
                str(work / "plain.csv"),
            ],
            work,
            env,
        )
        rows.append({"rows": size, "generated": generated, "plain": plain})
    return rows


def startup(work: Path, repeat: int) -> dict:
    step = render("basic_cleaning", work / "startup")
    env = offline_env(work)
    return {
        "help": median_of(repeat, [sys.executable, "run.py", "--help"], step, env),
        "python": median_of(repeat, [sys.executable, "-c", "pass"], step, env),
    }


def rendering(work: Path, repeat: int) -> dict:
    env = offline_env(work)
    env["HOME"] = str(work)  # keeps cookiecutter's replay files out of the real home
    cookiecutter = str(BIN / "cookiecutter")

    def run(template: Path, out: str) -> Measure:
        return median_of(
            repeat,
            [
                cookiecutter,
                "--no-input",
                "--overwrite-if-exists",
                "-o",
                str(work / out),
                str(template),
            ],
            work,
            env,
        )

    return {
        "step": run(REPO, "rendered"),
        "minimal": run(REPO / "bench" / "minimal_template", "minimal"),
    }


def environments(work: Path) -> dict:
    """First `mlflow run` of the python_env variant with uv and with virtualenv,
    each from empty caches (uv's, pip's and MLflow's environment root)."""
    step = render("generic", work / "envs", environment="python_env")
    data = work / "listings_env.csv"
    write_listings(data, rows=1000, seed=1)
    results = {}
    for manager in ("uv", "virtualenv"):
        if manager == "virtualenv":
            # virtualenv builds on pyenv, which takes only an exact Python version and
            # cannot download one here: give it the one this benchmark runs on.
            spec = step / "python_env.yaml"
            spec.write_text(
                spec.read_text().replace(
                    f'python: "{platform.python_version_tuple()[0]}.'
                    f'{platform.python_version_tuple()[1]}"',
                    f'python: "{platform.python_version()}"',
                )
            )
        env = offline_env(work / manager)
        env.update(
            MLFLOW_ENV_ROOT=str(work / manager / "envs"),
            UV_CACHE_DIR=str(work / manager / "uv-cache"),
            PIP_NO_CACHE_DIR="1",
        )
        (work / manager).mkdir()
        try:
            results[manager] = measure(
                [
                    str(BIN / "mlflow"),
                    "run",
                    str(step),
                    "--env-manager",
                    manager,
                    "-P",
                    f"input_artifact={data}",
                ],
                work / manager,
                env,
            )
        except RuntimeError as err:
            results[manager] = str(err).splitlines()[-1][:200]
    return results


def suite(work: Path) -> Measure:
    return measure([sys.executable, "-m", "pytest", "-q"], REPO, dict(os.environ))


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}"


def report(results: dict, command: str) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Reproduce with `{command}` (`make bench` runs the default set).",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.platform()}",
        f"- python {platform.python_version()}, "
        + ", ".join(
            f"{p} {version(p)}"
            for p in ("pandas", "pyarrow", "wandb", "mlflow", "cookiecutter", "uv")
        ),
        "",
        "## 1. Step overhead: generated `basic_cleaning` vs a plain pandas script",
        "",
        "Both read the same CSV, keep the same rows and write a CSV; the generated",
        "step also starts and finishes an offline W&B run and logs the output as",
        "an artifact. Target at 1M rows: wall ratio at most 0.8, memory ratio at",
        "most 1.5.",
        "",
        "Peak memory is each Python process's own; the wandb-core service the step",
        "starts is a process of its own and is not counted.",
        "",
        "| rows | generated s | plain s | wall ratio | generated MB | plain MB "
        "| memory ratio |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in results["overhead"]:
        g, p = row["generated"], row["plain"]
        lines.append(
            f"| {row['rows']:,} | {g.seconds:.2f} | {p.seconds:.2f} | "
            f"{ratio(g.seconds, p.seconds)} | {g.peak_mb:.0f} | {p.peak_mb:.0f} | "
            f"{ratio(g.peak_mb, p.peak_mb)} |"
        )
    start, rendered = results["startup"], results["render"]
    lines += [
        "",
        "## 2. Start-up: `python run.py --help` vs `python -c pass`",
        "",
        "Target: `--help` under 0.3 s.",
        "",
        "| run.py --help s | python -c pass s | difference s |",
        "| ---: | ---: | ---: |",
        f"| {start['help'].seconds:.3f} | {start['python'].seconds:.3f} | "
        f"{start['help'].seconds - start['python'].seconds:.3f} |",
        "",
        "## 3. Render: one step vs a minimal one-file template, same cookiecutter",
        "",
        "| step s | minimal s | ratio |",
        "| ---: | ---: | ---: |",
        f"| {rendered['step'].seconds:.2f} | {rendered['minimal'].seconds:.2f} | "
        f"{ratio(rendered['step'].seconds, rendered['minimal'].seconds)} |",
    ]
    if "envs" in results:
        lines += [
            "",
            "## 4. Environment creation: first `mlflow run` of the python_env variant",
            "",
            "From empty caches (uv's, pip's and MLflow's environment root). uv takes",
            "the `python_version` answer as written; virtualenv needs pyenv's exact",
            "version, so python_env.yaml is set to "
            f"{platform.python_version()} for it.",
            "",
            "| env manager | first run |",
            "| --- | ---: |",
        ]
        for manager, value in results["envs"].items():
            shown = f"{value.seconds:.1f} s" if isinstance(value, Measure) else value
            lines.append(f"| {manager} | {shown} |")
    if "suite" in results:
        lines += [
            "",
            "## 5. Test suite",
            "",
            "`pytest` (what `make test` runs after lint): "
            f"{results['suite'].seconds:.0f} s; target under 600 s.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--envs", action="store_true", help="also time env creation")
    parser.add_argument("--suite", action="store_true", help="also time the suite")
    parser.add_argument("--out", type=Path, help="write the Markdown report here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        work = Path(folder)
        results = {
            "overhead": step_overhead(work, args.sizes, args.repeat),
            "startup": startup(work, max(args.repeat, 10)),
            "render": rendering(work, args.repeat),
        }
        if args.envs:
            results["envs"] = environments(work)
        if args.suite:
            results["suite"] = suite(work)
    text = report(results, "python bench/bench.py " + " ".join(sys.argv[1:]))
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
