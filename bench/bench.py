"""What a generated step costs, measured against plain code on this machine.

    python bench/bench.py [--sizes 20000 100000 1000000 5000000] [--pairs 7]
                          [--pipeline] [--envs] [--suite] [--strict]
                          [--out docs/benchmarks.md]

Every process is measured from outside: wall time by the clock, peak memory as GNU
time's ``%M`` reports it for that process (the maximum resident set of the process
itself, not of the benchmark that forked it), and the peak of the wandb-core service
a step starts beside it, sampled from /proc. A comparison runs the two commands
alternately, pair after pair, and reports the median of the pairs' ratios. Each
target is printed with its figure and a met or missed mark; with ``--strict`` a missed
target makes the benchmark exit 1. It never runs in ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
BIN = Path(sys.executable).parent
GNU_TIME = "/usr/bin/time"
SERVICE = "wandb-core"
SAMPLE_EVERY = 0.05  # seconds between two looks at the service's memory
DAILY_ROWS = 20_000  # the documented sample: what a user runs every day
sys.path.insert(0, str(REPO / "scripts"))

from make_sample_data import write_listings  # noqa: E402

# --- measuring one process ---


@dataclass
class Measure:
    seconds: float
    peak_mb: float  # the process's own peak resident set
    service_mb: float = 0.0  # the peak of the wandb-core service it started, if any

    @property
    def total_mb(self) -> float:
        return self.peak_mb + self.service_mb


def children_of(pid: int) -> set[int]:
    """Every process descended from ``pid``, by the parent each names in /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        frontier -= found
        found |= frontier
    return found


def service_peak_kb(pid: int, seen: dict[int, int]) -> None:
    """Note in ``seen`` the peak so far (VmHWM) of each wandb-core under ``pid``."""
    for child in children_of(pid) | set(seen):
        try:
            status = Path(f"/proc/{child}/status").read_text()
        except OSError:
            continue
        if f"Name:\t{SERVICE}" not in status:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                seen[child] = max(seen.get(child, 0), int(line.split()[1]))


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> Measure:
    """One run of ``command``, which must succeed."""
    with tempfile.TemporaryDirectory(prefix="measure-") as folder:
        peak_file, stderr_file = Path(folder, "peak"), Path(folder, "stderr")
        with stderr_file.open("wb") as stderr:
            start = time.perf_counter()
            process = subprocess.Popen(
                [GNU_TIME, "-f", "%M", "-o", str(peak_file), *command],
                cwd=cwd,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
            services: dict[int, int] = {}
            while process.poll() is None:
                service_peak_kb(process.pid, services)
                time.sleep(SAMPLE_EVERY)
            seconds = time.perf_counter() - start
        if process.returncode != 0:
            text = stderr_file.read_text(errors="replace")
            raise RuntimeError(
                f"{command} failed ({process.returncode}):\n{text[-2000:]}"
            )
        peak_kb = int(peak_file.read_text().split()[-1])
    return Measure(seconds, peak_kb / 1024, sum(services.values()) / 1024)


def median_of(runs: list[Measure]) -> Measure:
    return Measure(
        statistics.median(r.seconds for r in runs),
        statistics.median(r.peak_mb for r in runs),
        statistics.median(r.service_mb for r in runs),
    )


@dataclass
class Pair:
    """Two commands run alternately: each figure a median, the ratio the median of
    the pairs' ratios (a busy moment slows both of a pair alike)."""

    first: Measure
    second: Measure
    wall_ratio: float
    memory_ratio: float


def compare(pairs: int, first: tuple, second: tuple) -> Pair:
    runs = [(measure(*first), measure(*second)) for _ in range(pairs)]
    return Pair(
        median_of([a for a, _ in runs]),
        median_of([b for _, b in runs]),
        statistics.median(a.seconds / b.seconds for a, b in runs),
        statistics.median(a.peak_mb / b.peak_mb for a, b in runs),
    )


def repeated(times: int, *how) -> Measure:
    return median_of([measure(*how) for _ in range(times)])


# --- targets ---


@dataclass
class Target:
    what: str
    value: float
    limit: float
    unit: str = "×"

    @property
    def met(self) -> bool:
        return self.value <= self.limit

    def line(self) -> str:
        mark = "met" if self.met else "MISSED"
        return (
            f"- {mark}: {self.what}: {self.value:.2f}{self.unit} "
            f"(target at most {self.limit:g}{self.unit})"
        )


@dataclass
class Results:
    sections: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    # The step against the plain script at DAILY_ROWS, once measured.
    daily: Pair | None = None


# --- the environment of a measured run ---


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


def listings(work: Path, rows: int) -> Path:
    path = work / f"listings_{rows}.csv"
    if not path.exists():
        write_listings(path, rows=rows, seed=1)
    return path


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("| " + " | ".join("---:" for _ in header) + " |")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def cleaning(work: Path, data: Path, env: dict[str, str]) -> tuple[tuple, tuple]:
    """The generated basic_cleaning (rendered once per benchmark) and the baseline,
    a plain pandas script, each cleaning ``data``, as ``measure`` takes them."""
    step = work / "steps" / "basic_cleaning"
    if not step.exists():
        step = render("basic_cleaning", work / "steps")
    generated = [sys.executable, "run.py", f"--input_artifact={data}"]
    plain = [sys.executable, str(BENCH / "plain_cleaning.py"), str(data)]
    return (
        ([*generated, f"--output_dir={work / 'generated'}"], step, env),
        ([*plain, str(work / "plain.csv")], work, env),
    )


# --- 1. the generated basic_cleaning against a plain pandas script, by size ---


def cleaning_by_size(
    work: Path, sizes: list[int], pairs: int, big_pairs: int, results: Results
) -> None:
    env = offline_env(work)
    rows = []
    for size in sizes:
        generated, plain = cleaning(work, listings(work, size), env)
        pair = compare(pairs if size <= 1_000_000 else big_pairs, generated, plain)
        g, p = pair.first, pair.second
        rows.append(
            [
                f"{size:,}",
                f"{g.seconds:.2f}",
                f"{p.seconds:.2f}",
                f"{pair.wall_ratio:.2f}",
                f"{g.peak_mb:.0f}",
                f"{g.service_mb:.0f}",
                f"{g.total_mb:.0f}",
                f"{p.peak_mb:.0f}",
                f"{pair.memory_ratio:.2f}",
            ]
        )
        if size == DAILY_ROWS:
            results.daily = pair
            results.targets.append(
                Target(
                    f"wall time at {size:,} rows, step / plain", pair.wall_ratio, 2.0
                )
            )
        if size == 1_000_000:
            results.targets += [
                Target(
                    "wall time at 1,000,000 rows, step / plain", pair.wall_ratio, 0.5
                ),
                Target(
                    "peak memory at 1,000,000 rows, step / plain",
                    pair.memory_ratio,
                    0.4,
                ),
            ]
        if size == 5_000_000:
            results.targets.append(
                Target(
                    "peak memory at 5,000,000 rows, step", g.peak_mb / 1024, 1.0, " GiB"
                )
            )
    results.sections += [
        "## 1. The generated `basic_cleaning` against a plain pandas script",
        "",
        "Both read the same listings CSV (`scripts/make_sample_data.py`, seed 1), keep",
        "the same rows and write a CSV. The step also starts and finishes an offline",
        "W&B run, logs its pictures and the output as an artifact, and streams the",
        "file in record batches; the plain script reads it whole with pandas.",
        f"Medians of {pairs} alternating pairs ({big_pairs} above 1M rows); the",
        "ratios are medians of the pairs' ratios. Peak memory: `/usr/bin/time -f %M`",
        "of each process; wandb-core is the service the step starts beside it",
        f"(VmHWM, sampled every {SAMPLE_EVERY} s), and step + core is their sum.",
        "Targets: at 20,000 rows a wall ratio of at most 2.0; at 1M rows at most 0.5",
        "and a memory ratio of at most 0.4; at 5M rows a step peak under 1 GiB.",
        "",
        *table(
            [
                "rows",
                "step s",
                "plain s",
                "wall ratio",
                "step MB",
                "wandb-core MB",
                "step + core MB",
                "plain MB",
                "memory ratio",
            ],
            rows,
        ),
    ]


# --- 2. start-up at 20,000 rows: where the step's fixed time goes ---

STARTUP_PARTS = {
    "Python itself (`python -c pass`)": "pass",
    "import pandas and pyarrow's CSV": "import pandas, pyarrow.csv",
    "import wandb": "import wandb",
    "import wandb, an offline run started and finished": (
        "import wandb; wandb.init(job_type='bench').finish()"
    ),
}


def startup(work: Path, pairs: int, results: Results) -> None:
    env = offline_env(work)
    generated, plain = cleaning(work, listings(work, DAILY_ROWS), env)
    _, step, _ = generated
    help_ = repeated(pairs, [sys.executable, "run.py", "--help"], step, env)
    parts = {
        what: repeated(pairs, [sys.executable, "-c", code], work, env)
        for what, code in STARTUP_PARTS.items()
    }
    pair = results.daily or compare(pairs, generated, plain)
    rows = [[what, f"{m.seconds:.2f}"] for what, m in parts.items()]
    rows += [
        ["the plain script, whole", f"{pair.second.seconds:.2f}"],
        ["the generated step, whole", f"{pair.first.seconds:.2f}"],
        ["`run.py --help`", f"{help_.seconds:.2f}"],
    ]
    results.targets.append(Target("`run.py --help`", help_.seconds, 0.3, " s"))
    results.sections += [
        f"## 2. Start-up: the fixed part of a run at {DAILY_ROWS:,} rows",
        "",
        "Each line a fresh process, the median of "
        f"{pairs}. What the step pays before and after",
        "its work is the gap between the whole step and the plain script; the lines",
        "above it show what that gap is made of.",
        "",
        *table(["process", "seconds"], rows),
        "",
        "What the package step_io does about it, W&B's settings left as they are:",
        "",
        "- W&B's service answers within milliseconds of its start, but `wandb.init`",
        "  looks for the answer only every 0.2 s: the service is started in a",
        "  thread while the main thread imports pandas, which fills that wait.",
        "  `wandb.init` itself stays in the main thread, where signals are held",
        "  while it runs; most of it is CPU work a thread would not hide.",
        "- Python's cycle collector is paused while W&B and pandas are imported and",
        "  what they built is frozen once the run has started, and again when the",
        "  step ends: the interpreter's exit otherwise spends about 0.2 s",
        "  collecting objects that live as long as the process.",
        "- W&B Launch's inputs, which `wandb.init` imports once the run has",
        "  started whether or not Launch is used (0.12 s here), are imported while",
        "  the service starts, where they fill the wait instead of adding to it.",
        "- An output is hashed a megabyte at a time, to the MD5 W&B computes: W&B",
        "  maps the whole file into memory to hash it, which was the step's peak",
        "  at 1M and 5M rows.",
        "- Measured and left: W&B settings that skip system stats, code, git,",
        "  machine info or console capture change `wandb.init` by less than the",
        "  noise, one by one, and each removes something a person looks at in the",
        "  W&B app. `x_save_requirements=False` saves about 0.08 s and drops",
        "  `requirements.txt` from the run's files: kept.",
    ]


# --- 3. the pictures a person looks at, at 20,000 rows ---

PICTURE_LIMITS = {
    "basic_cleaning": 0.2,
    "data_split": 0.2,
    "train_random_forest": 1.0,
    "test_regression_model": 1.0,
}


def pictures(work: Path, times: int, results: Results) -> None:
    env = offline_env(work)
    data = listings(work, DAILY_ROWS)
    rows = []
    for kind, limit in PICTURE_LIMITS.items():
        step = render(kind, work / "pictures")
        seconds = []
        for _ in range(times):
            done = subprocess.run(
                [
                    sys.executable,
                    str(BENCH / "pictures_cost.py"),
                    kind,
                    str(step),
                    str(data),
                ],
                env=env,
                cwd=work,
                capture_output=True,
                text=True,
                check=True,
            )
            seconds.append(float(done.stdout.split()[-1]))
        cost = statistics.median(seconds)
        rows.append([f"`{kind}`", f"{cost:.3f}", f"{limit:g}"])
        results.targets.append(Target(f"pictures of `{kind}`", cost, limit, " s"))
    results.sections += [
        f"## 3. Pictures and tables at {DAILY_ROWS:,} rows",
        "",
        "Building each step's tables, histograms and plots and logging them to an",
        "offline run (`bench/pictures_cost.py`), once per fresh process as a step",
        f"does, so a plotting library's import counts; the median of {times}.",
        "",
        *table(["step", "seconds", "target s"], rows),
    ]


# --- 4. rendering ---


def rendering(work: Path, times: int, results: Results) -> None:
    env = offline_env(work)
    env["HOME"] = str(work)  # keeps cookiecutter's replay files out of the real home

    def run(template: Path, out: str) -> Measure:
        # Each into a folder of its own: a step is never rendered over another.
        return median_of(
            [
                measure(
                    [
                        str(BIN / "cookiecutter"),
                        "--no-input",
                        "-o",
                        str(work / out / str(time)),
                        str(template),
                    ],
                    work,
                    env,
                )
                for time in range(times)
            ]
        )

    step, minimal = run(REPO, "rendered"), run(BENCH / "minimal_template", "minimal")
    results.sections += [
        "## 4. Render: one step against a minimal one-file template",
        "",
        *table(
            ["step s", "minimal s", "ratio"],
            [
                [
                    f"{step.seconds:.2f}",
                    f"{minimal.seconds:.2f}",
                    f"{step.seconds / minimal.seconds:.2f}",
                ]
            ],
        ),
    ]


# --- 5. the pipeline project's chain, split by step ---


def read_timings(folder: Path) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]


def pipeline(work: Path, results: Results) -> None:
    from cookiecutter.main import cookiecutter

    project = Path(
        cookiecutter(
            str(REPO),
            directory="pipeline",
            no_input=True,
            output_dir=str(work / "pipeline"),
        )
    )
    data = listings(work, DAILY_ROWS)
    timings = work / "timings"
    timings.mkdir()
    env = offline_env(project)
    env.update(
        PYTHONPATH=str(BENCH / "step_timing"),
        BENCH_TIMINGS_DIR=str(timings),
        MLFLOW_TRACKING_URI=f"sqlite:///{project / 'mlflow.db'}",
    )
    command = [
        str(BIN / "mlflow"),
        "run",
        ".",
        "--env-manager",
        "local",
        "-P",
        f"hydra_options=main.env_manager=local etl.sample='{data}'",
    ]
    whole = measure(command, project, env)
    processes = read_timings(timings)
    (driver,) = [p for p in processes if p["mlflow_runs"]]
    # A step's own process is the first started in its folder; training's worker
    # processes start there too.
    steps = {}
    for process in sorted(processes, key=lambda p: p["started"], reverse=True):
        if Path(process["cwd"]).parent == project / "components":
            steps[Path(process["cwd"]).name] = process
    rows, fixed_total = [], 0.0
    for launched in driver["mlflow_runs"]:
        name = Path(launched["uri"]).name
        step = steps[name]
        mlflow_part = launched["seconds"] - step["total"]
        wandb_end = step["wandb_finish"] + step["wandb_exit"]
        fixed = (
            mlflow_part
            + step["interpreter"]
            + step["imports"]
            + step["wandb_init"]
            + wandb_end
        )
        fixed_total += fixed
        rows.append(
            [
                f"`{name}`",
                f"{launched['seconds']:.1f}",
                f"{mlflow_part:.1f}",
                f"{step['interpreter']:.2f}",
                f"{step['imports']:.1f}",
                f"{step['wandb_init']:.1f}",
                f"{wandb_end:.1f}",
                f"{fixed:.1f}",
                f"{launched['seconds'] - fixed:.1f}",
            ]
        )
    in_steps = sum(launched["seconds"] for launched in driver["mlflow_runs"])
    rows.append(
        [
            "the driver (`mlflow run .`, main.py)",
            f"{whole.seconds - in_steps:.1f}",
            "",
            "",
            "",
            "",
            "",
            f"{whole.seconds - in_steps:.1f}",
            "",
        ]
    )
    fixed_total += whole.seconds - in_steps
    rows.append(
        [
            "whole chain",
            f"{whole.seconds:.1f}",
            "",
            "",
            "",
            "",
            "",
            f"{fixed_total:.1f}",
            f"{whole.seconds - fixed_total:.1f}",
        ]
    )
    results.sections += [
        f"## 5. The pipeline project's chain on {DAILY_ROWS:,} rows",
        "",
        "One `mlflow run . --env-manager local` of a default generated project, W&B",
        "offline, its sample replaced by the listings above. `bench/step_timing/`",
        "times every process of the chain from inside (process start, imports,",
        "`wandb.init`, `Run.finish` and W&B's exit handlers, where an offline run",
        "waits for the service to write it). MLflow's part of a step is the",
        "driver's `mlflow.run` call less the step's own process (creating the",
        "MLflow run, launching the process, waiting for its end). Fixed is what a",
        "step pays whatever its data; the rest is its work, logging included.",
        "Seconds.",
        "",
        *table(
            [
                "step",
                "in the chain",
                "MLflow",
                "interpreter",
                "imports",
                "wandb.init",
                "W&B finish, exit",
                "fixed",
                "work",
            ],
            rows,
        ),
    ]


# --- 6. environments: MLflow builds one per step, then reuses it ---


def environments(work: Path, results: Results) -> None:
    """Two `mlflow run`s of the python_env variant with uv and with virtualenv,
    from empty caches: MLflow names an environment by a hash of its files and
    builds it on the first run only."""
    import platform as platform_

    step = render("generic", work / "envs", environment="python_env")
    data = listings(work, 1000)
    rows = []
    for manager in ("uv", "virtualenv"):
        if manager == "virtualenv":
            # virtualenv builds on pyenv, which takes only an exact Python version and
            # cannot download one here: give it the one this benchmark runs on.
            spec = step / "python_env.yaml"
            major, minor, _ = platform_.python_version_tuple()
            spec.write_text(
                spec.read_text().replace(
                    f'python: "{major}.{minor}"',
                    f'python: "{platform_.python_version()}"',
                )
            )
        folder = work / manager
        timings = folder / "timings"
        timings.mkdir(parents=True)
        env = offline_env(folder)
        env.update(
            MLFLOW_ENV_ROOT=str(folder / "envs"),
            UV_CACHE_DIR=str(folder / "uv-cache"),
            PIP_NO_CACHE_DIR="1",
            PYTHONPATH=str(BENCH / "step_timing"),
            BENCH_TIMINGS_DIR=str(timings),
        )
        command = [
            str(BIN / "mlflow"),
            "run",
            str(step),
            "--env-manager",
            manager,
            "-P",
            f"input_artifact={data}",
        ]
        try:
            first = measure(command, folder, env)
            for old in timings.iterdir():
                old.unlink()
            second = measure(command, folder, env)
        except RuntimeError as err:
            rows.append([manager, str(err).splitlines()[-1][:120], "", "", "", ""])
            continue
        processes = read_timings(timings)
        (step_run,) = [p for p in processes if Path(p["cwd"]) == step]
        (cli,) = [p for p in processes if Path(p["argv"][0]).name == "mlflow"]
        rows.append(
            [
                manager,
                f"{first.seconds:.1f}",
                f"{second.seconds:.1f}",
                f"{second.seconds - step_run['total']:.1f}",
                f"{cli['imports']:.1f}",
                f"{step_run['total']:.1f}",
            ]
        )
    results.sections += [
        "## 6. Environment creation and reuse: `mlflow run` of the python_env variant",
        "",
        "From empty caches (uv's, pip's and MLflow's environment root), twice: MLflow",
        "names a step's environment by a hash of its environment files, builds it on",
        "the first run and finds it on the second. uv takes the `python_version`",
        "answer as written; virtualenv needs pyenv's exact version, so python_env.yaml",
        f"is set to {platform.python_version()} for it. On the second run, MLflow's",
        "part (its CLI's start and imports, finding the environment, creating the",
        "run, starting the step in it) is the whole less the step's own process.",
        "",
        *table(
            [
                "env manager",
                "first run s",
                "second run s",
                "second: MLflow's part s",
                "of which its imports s",
                "second: the step s",
            ],
            rows,
        ),
    ]


def suite(results: Results) -> None:
    whole = measure(
        [sys.executable, "-m", "pytest", "-q", "-n", "auto", "--dist", "loadgroup"],
        REPO,
        dict(os.environ),
    )
    results.sections += [
        "## 7. Test suite",
        "",
        f"`pytest -n auto` (what `make test` runs after lint): {whole.seconds:.0f} s.",
    ]
    results.targets.append(Target("the test suite", whole.seconds, 600, " s"))


# --- the report ---


def report(results: Results, command: str) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Reproduce with `{command}` (`make bench` runs it).",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.platform()}",
        f"- python {platform.python_version()}, "
        + ", ".join(
            f"{p} {version(p)}"
            for p in ("pandas", "pyarrow", "wandb", "mlflow", "cookiecutter", "uv")
        ),
        "",
        "## Targets",
        "",
        *(target.line() for target in results.targets),
    ]
    return "\n".join(_paragraphs(lines + results.sections)) + "\n"


def _paragraphs(lines: list[str]) -> list[str]:
    """One blank line before each heading, none doubled."""
    out: list[str] = []
    for line in lines:
        if line.startswith("## ") and out and out[-1] != "":
            out.append("")
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[DAILY_ROWS, 100_000, 1_000_000, 5_000_000],
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=7,
        help="alternating pairs per comparison (default 7)",
    )
    parser.add_argument(
        "--big-pairs",
        type=int,
        default=3,
        help="pairs above 1M rows, where only memory has a target",
    )
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="also split a pipeline project's chain by step",
    )
    parser.add_argument(
        "--envs", action="store_true", help="also time environment creation and reuse"
    )
    parser.add_argument("--suite", action="store_true", help="also time the suite")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a target is missed"
    )
    parser.add_argument("--out", type=Path, help="write the Markdown report here")
    args = parser.parse_args()
    results = Results()
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        work = Path(folder)
        cleaning_by_size(work, args.sizes, args.pairs, args.big_pairs, results)
        startup(work, args.pairs, results)
        pictures(work, args.pairs, results)
        rendering(work, args.pairs, results)
        if args.pipeline:
            pipeline(work, results)
        if args.envs:
            environments(work, results)
        if args.suite:
            suite(results)
    text = report(results, "python bench/bench.py " + " ".join(sys.argv[1:]))
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    missed = [target for target in results.targets if not target.met]
    if args.strict and missed:
        print(f"bench.py: {len(missed)} target(s) missed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
