"""The wiring every step of the pipeline shares: arguments, input, output and W&B.

A step's run.py keeps its data logic and a thin ``go(args)``; this module holds what
surrounds it, the way a Kedro project keeps its nodes apart from their wiring. Nothing
heavy is imported at module level, so ``run.py --help`` answers at once.

What it promises, whatever goes wrong (bad data, a full disk, a signal, a second run
at the same time): the step ends with one line on stderr naming the option at fault,
its W&B run is finished as failed, no artifact is logged, and no file is left half
written or replaced by one that no run logged.
"""

from __future__ import annotations

import argparse
import base64
import errno
import gc
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import stat
import sys
import threading
import warnings
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, Self

if TYPE_CHECKING:
    import pandas as pd
    import wandb

# What W&B accepts in an artifact name or type. Refusing anything else up front also
# keeps an output, named after its artifact, inside its folder.
ARTIFACT_NAME = re.compile(r"(?!\.+$)[A-Za-z0-9_.-]{1,128}")
# numpy's legacy RandomState, which scikit-learn seeds, takes 32-bit seeds only.
MAX_SEED = 2**32 - 1
# Folders of the step itself: outputs never go there (W&B's and MLflow's logs, the
# step's own tests and code).
STEP_FOLDERS = ("wandb", "mlruns", "tests")
# In the W&B run's folder: a hard link to each output as it was logged, so that the
# bytes `wandb sync` uploads later are the bytes the run's manifest describes, even
# once the next run has replaced the output itself.
LOGGED_OUTPUTS = "logged_outputs"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StepError(Exception):
    """Bad input or parameters: reported on one line, and the step exits 1."""


class Interrupted(KeyboardInterrupt):
    """A signal asked the step to stop. A KeyboardInterrupt whatever the signal, so
    that no ``except Exception`` catches it on its way out, and pytest and W&B stop
    on it as they do on Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Each option's help followed by its default, or by (required)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.required:
            return f"{action.help} (required)"
        return super()._get_help_string(action)


class OneLineErrorParser(argparse.ArgumentParser):
    """Report a bad argument on one line; ``--help`` still shows the usage, and each
    option's default."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in ("true", "yes", "1"):
        return True
    if word in ("false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def one_line(err: BaseException) -> str:
    return " ".join(str(err).split())


def os_problem(err: OSError) -> str:
    """What went wrong, in the system's words (pyarrow wraps them in its own), without
    the path: the message names the option instead."""
    return os.strerror(err.errno) if err.errno else one_line(err)


def check_artifact_name(option: str, value: str) -> None:
    if not ARTIFACT_NAME.fullmatch(value):
        raise StepError(
            f"--{option} {value!r}: use 1 to 128 letters, digits, '_', '-' or '.'"
        )


def check_artifact_type(option: str, value: str) -> None:
    check_artifact_name(option, value)
    if value.startswith("wandb-"):
        raise StepError(f"--{option} {value!r}: W&B reserves 'wandb-'")


def check_output_name(option: str, value: str) -> None:
    """An artifact name that also names a file the step writes."""
    check_artifact_name(option, value)
    if value.startswith("."):
        raise StepError(
            f"--{option} {value!r}: names starting with '.' are kept for the step's "
            "own bookkeeping files; drop the leading '.'"
        )


def step_dir() -> Path:
    """The step's folder: the one its script runs from (``python run.py``, or
    ``mlflow run``, which starts the command in the step's folder)."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.suffix == ".py" and script.is_file():
        return script.resolve().parent
    return Path.cwd().resolve()


def check_output_dir(option: str, value: str) -> None:
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise StepError(f"--{option} {value!r}: is a file, not a folder")
    folder, home = path.resolve(), step_dir()
    own = [home, *(home / name for name in STEP_FOLDERS)]
    if folder == home or any(folder.is_relative_to(mine) for mine in own[1:]):
        raise StepError(
            f"--{option} {value!r}: is the step's own folder or one of its "
            f"{', '.join(STEP_FOLDERS)} folders; give outputs a folder of their own "
            "(default outputs)"
        )


def check_dataset_output(args: argparse.Namespace) -> None:
    """Refuse a bad --output_artifact or --output_type (Outputs checks
    --output_dir)."""
    check_output_name("output_artifact", args.output_artifact)
    check_artifact_type("output_type", args.output_type)


def check_random_seed(option: str, value: int) -> None:
    if not 0 <= value <= MAX_SEED:
        raise StepError(f"--{option} '{value}': must be between 0 and {MAX_SEED}")


def dataset_output_config(args: argparse.Namespace) -> dict[str, str]:
    """The run config's ``output`` group, for a step that logs one dataset."""
    return {
        "artifact": args.output_artifact,
        "type": args.output_type,
        "description": args.output_description,
        "dir": args.output_dir,
    }


# --- signals: a stop request becomes Interrupted, at a moment it can be cleaned up ---


class _Signals:
    # Set while a signal must wait: while wandb.init runs (there is no run yet to
    # finish as failed) and once outputs are being committed (the step then completes).
    held = False
    pending: int | None = None


def _on_stop_signal(signum: int, frame: object) -> None:
    # The first request is the one acted on; a second one would cut short the very
    # cleanup it asks for. SIGKILL still ends the step at once (the next run clears
    # what it left).
    for number in STOP_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    if _Signals.held:
        _Signals.pending = _Signals.pending or signum
        return
    raise Interrupted(signum)


@contextmanager
def stopping_on_signals(restore: bool = True) -> Iterator[None]:
    """SIGINT (Ctrl-C), SIGTERM (a scheduler) and SIGHUP raise Interrupted in the
    block. After it, the handlers before it are put back, or, where the process is
    about to end (``restore=False``), those signals are ignored."""
    before = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    _Signals.held, _Signals.pending = False, None
    for number in STOP_SIGNALS:
        signal.signal(number, _on_stop_signal)
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler if restore else signal.SIG_IGN)
        _Signals.held, _Signals.pending = False, None


def hold_signals() -> None:
    _Signals.held = True


def release_signals() -> None:
    """Stop holding signals; one that came meanwhile is raised now."""
    _Signals.held = False
    pending, _Signals.pending = _Signals.pending, None
    if pending is not None:
        raise Interrupted(pending)


# --- the W&B run ---


class _Collector:
    # Set by main() when the step runs as a script: Python's cycle collector waits
    # while W&B and the step's libraries are imported, and what they built is then
    # frozen, as it lives as long as the process.
    paused = False


def _start_service() -> None:
    """Start W&B's service process. It answers within milliseconds, but W&B looks
    for its answer only every 0.2 s: start_run imports what the step needs
    meanwhile. A failure here is left to wandb.init, which starts the service again
    and says why."""
    import wandb

    with suppress(BaseException):
        wandb.setup()


def start_run(job_type: str, name: str, config: dict) -> wandb.Run:
    """``wandb.init``, with pandas, which every step uses, imported while W&B's
    service starts; a failure to start is a StepError."""
    import wandb

    threading.Thread(target=_start_service, name="wandb-service", daemon=True).start()
    import pandas  # noqa: F401

    # wandb.init imports W&B Launch's inputs once the run has started, whether or
    # not Launch is used (0.12 s here); imported now, it fills the wait for W&B's
    # service instead of adding to it.
    with suppress(ImportError):
        import wandb.sdk.launch.inputs.internal  # noqa: F401

    try:
        return wandb.init(job_type=job_type, name=name, config=config)
    except wandb.errors.UsageError as err:
        if "api key" in str(err).lower():
            raise StepError(
                "W&B has no API key and no terminal to ask for one: run `wandb login` "
                "first, or set WANDB_MODE=offline to keep the run locally and "
                "`wandb sync` it later"
            ) from None
        raise StepError(f"W&B cannot start the run: {one_line(err)}") from None
    except (wandb.errors.Error, ValueError) as err:
        # ValueError: pydantic's, for a setting W&B refuses (WANDB_MODE=bogus).
        raise StepError(f"W&B cannot start the run: {one_line(err)}") from None
    except OSError as err:
        where = f" in {err.filename!r}" if err.filename else ""
        raise StepError(
            f"W&B cannot start the run{where}: {os_problem(err)}; make room there, "
            "or set WANDB_DIR to another folder"
        ) from None


# The runs already finished, by Outputs: their outputs stand only once W&B has
# recorded them. A run W&B failed to finish cannot be finished again either.
FINISHED: weakref.WeakSet = weakref.WeakSet()


def finish(run: wandb.Run, exit_code: int = 0) -> None:
    FINISHED.add(run)
    run.finish(exit_code=exit_code)


@contextmanager
def finishing(run: wandb.Run) -> Iterator[wandb.Run]:
    """Finish the W&B run when the block ends: as failed if it raised, with the
    line a StepError prints kept in the run's summary, so the failed run says why."""
    try:
        yield run
    except BaseException as err:
        _Signals.held = True  # the run is being finished: a signal waits for it
        # Where W&B cannot even record the failure (its folder full), the error
        # that brought the step here is still the one to report.
        with suppress(Exception):
            if run not in FINISHED:
                if isinstance(err, StepError):
                    run.summary["error"] = str(err)
                elif isinstance(err, Interrupted):
                    run.summary["error"] = f"interrupted by {err}"
                finish(run, exit_code=1)
        raise
    else:
        if run not in FINISHED:
            finish(run)
    finally:
        _Signals.held, _Signals.pending = False, None
        forget_logged_outputs(run)


class _Console(logging.StreamHandler):
    """Writes each line to ``sys.stdout`` as it is when the line is logged (a test
    may have replaced it since the handler was made)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:
        pass


# What the step says it is doing, on the console; W&B's own lines go to stderr.
CONSOLE = logging.getLogger("step")
if not CONSOLE.handlers:
    CONSOLE.addHandler(_Console())
    CONSOLE.setLevel(logging.INFO)
    CONSOLE.propagate = False


@contextmanager
def wandb_run(job_type: str, name: str, config: dict) -> Iterator[wandb.Run]:
    """``wandb.init(job_type=..., name=..., config=...)`` for the block, finished as
    ``finishing`` says. A signal during ``wandb.init`` waits until the run exists, so
    that the run it interrupts is finished as failed too. The step's first line on
    the console says what it is about to do: the run's name holds its inputs and
    outputs."""
    CONSOLE.info("%s (W&B job type %s)", name, job_type)
    hold_signals()
    try:
        run = start_run(job_type, name, config)
    except BaseException:
        _Signals.held, _Signals.pending = False, None
        raise
    finally:
        if _Collector.paused:
            _Collector.paused = False
            gc.freeze()
            gc.enable()
    with finishing(run):
        release_signals()
        yield run


# --- inputs ---


def check_regular_file(option: str, path: Path, shown: str) -> None:
    """Refuse a FIFO, a device or a socket at once: reading one may never end."""
    try:
        mode = path.stat().st_mode
    except OSError as err:
        raise StepError(f"--{option} {shown!r}: {os_problem(err)}") from None
    if not stat.S_ISREG(mode):
        raise StepError(f"--{option} {shown!r}: is not a regular file")


def check_regular_files(option: str, folder: Path, shown: str) -> None:
    """Refuse a folder holding anything but folders and regular files."""
    for path in sorted(folder.rglob("*")):
        if not (path.is_dir() or path.is_file()):
            inside = path.relative_to(folder)
            raise StepError(
                f"--{option} {shown!r}: {str(inside)!r} in it is not a regular file"
            )


def fetch_input(run: wandb.Run, option: str, reference: str, folder=False) -> Path:
    """The input: a local path as given, or the file (or folder) of a W&B artifact."""
    path = Path(reference)
    if path.exists():
        if path.is_dir() != folder:
            kind = "a folder" if folder else "a file"
            raise StepError(f"--{option} {reference!r}: is not {kind}")
        if folder:
            check_regular_files(option, path, reference)
        else:
            check_regular_file(option, path, reference)
        return path
    if run.offline or getattr(run, "disabled", False):
        mode = "disabled" if getattr(run, "disabled", False) else "offline"
        raise StepError(
            f"--{option} {reference!r}: no such local path, and W&B is {mode} "
            f"(WANDB_MODE={mode}) so artifacts cannot be fetched; pass a local path "
            "instead"
        )
    import wandb

    try:
        artifact = run.use_artifact(reference)
        return Path(artifact.download() if folder else artifact.file())
    except (wandb.errors.Error, ValueError) as err:
        raise StepError(
            f"--{option} {reference!r}: no such local path, and W&B cannot fetch "
            f"it as an artifact: {one_line(err)}"
        ) from None
    except OSError as err:
        raise StepError(
            f"--{option} {reference!r}: W&B cannot download it: {os_problem(err)}"
        ) from None


@contextmanager
def unreadable_csv(
    option: str, shown: str, *unreadable: type[Exception]
) -> Iterator[None]:
    """A file the block cannot read as CSV fails the step on one line naming
    ``option``: empty, not CSV (or one of the ``unreadable`` errors), or unreadable."""
    import pandas as pd

    try:
        yield
    except pd.errors.EmptyDataError:
        raise StepError(f"--{option} {shown!r}: the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, *unreadable) as err:
        raise StepError(
            f"--{option} {shown!r}: not a readable CSV file: {one_line(err)}"
        ) from None
    except OSError as err:
        raise StepError(
            f"--{option} {shown!r}: cannot read it: {os_problem(err)}"
        ) from None


def check_columns(option: str, shown: str, names: list[str], needed) -> None:
    """Refuse a file whose columns ``names`` lack one of ``needed``."""
    missing = [name for name in needed if name not in names]
    if missing:
        raise StepError(
            f"--{option} {shown!r}: missing column(s) " + ", ".join(missing)
        )


def read_csv(
    path: Path,
    option: str,
    columns: dict[str, str] | None = None,
    shown: str | None = None,
):
    """Read a CSV; ``columns`` maps the columns the step needs to their kind
    ("number", "text" or "any"), checked so a bad file fails on one line, naming the
    file as ``shown`` (default: its path)."""
    import pandas as pd

    shown = str(path) if shown is None else shown

    with unreadable_csv(option, shown):
        rows = pd.read_csv(path)
    columns = columns or {}
    check_columns(option, shown, list(rows.columns), columns)
    not_numbers = [
        name
        for name, kind in columns.items()
        if kind == "number" and not pd.api.types.is_numeric_dtype(rows[name])
    ]
    if not_numbers:
        raise StepError(
            f"--{option} {shown!r}: column(s) "
            + ", ".join(not_numbers)
            + " should hold numbers"
        )
    if rows.empty:
        raise StepError(f"--{option} {shown!r}: the file has no rows")
    return rows


# --- outputs ---


def is_model_export(path: Path) -> bool:
    """An MLflow model folder, as a model export writes it."""
    return path.is_dir() and not path.is_symlink() and (path / "MLmodel").is_file()


def remove(path: Path) -> None:
    """Remove a file or folder the step itself wrote."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def identity(path: Path) -> list[int]:
    """What tells a file the step wrote from any other: the same file (device and
    inode), unchanged since (size and modification time). For a folder, the same
    folder."""
    info = path.lstat()
    if stat.S_ISDIR(info.st_mode):
        return [info.st_dev, info.st_ino]
    return [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns]


def kind_of(path: Path) -> str:
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        return "a link"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a file" if stat.S_ISREG(mode) else "not a regular file"


class Output:
    """One file (or, for a model export, one folder) the step writes under
    --output_dir, and the artifact it is logged as.

    Beside it, in ``.NAME.lock``, the step keeps the lock a run holds while it writes
    the output and the record of what it wrote there last: an output replaces only
    what that record names, so never a file the step did not write.
    """

    def __init__(self, folder: Path, name: str, option: str, is_folder: bool):
        self.path = folder / name
        self.name, self.option, self.is_folder = name, option, is_folder
        # Beside the output, so that a rename puts it in place at once.
        self.partial = folder / f".{name}.partial"
        self.previous = folder / f".{name}.previous"
        self.lock = folder / f".{name}.lock"
        self.lock_fd: int | None = None
        self.record: list[list[int]] = []  # what the step wrote here before
        self.replaced: list[int] | None = None  # the earlier output this run replaces
        # Claimed: it may replace what is there; started: a partial copy exists.
        self.claimed = self.started = self.written = self.committed = False
        self.artifact: dict | None = None

    @property
    def kind(self) -> str:
        return "a folder" if self.is_folder else "a file"

    def read_record(self) -> None:
        try:
            text = os.pread(self.lock_fd, 1 << 16, 0).decode("utf-8")
            self.record = json.loads(text)["written"] if text else []
        except (ValueError, KeyError, TypeError):
            self.record = []  # cut short by a crash: it vouches for nothing

    def write_record(self, identities: list[list[int]]) -> None:
        """Record in place, through the locked file: a rename would put a new,
        unlocked file in its place while this run still writes."""
        data = json.dumps({"written": identities}).encode("utf-8")
        os.ftruncate(self.lock_fd, 0)
        os.pwrite(self.lock_fd, data, 0)
        self.record = identities

    def check_replaceable(self, dir_option: str, shown_dir: str) -> None:
        """An output replaces only what the step itself last wrote there: an earlier
        output file, or an earlier model export (an MLflow model folder)."""
        if not os.path.lexists(self.path):
            return
        found = kind_of(self.path)
        ours = found == self.kind and identity(self.path) in self.record
        if self.is_folder and not is_model_export(self.path):
            ours = False
        if ours:
            self.replaced = identity(self.path)
            return
        if found == self.kind:
            found += " this step did not write, or one changed since it did"
        what = "model export" if self.is_folder else "output"
        # The option that named this output: its own, or the folder for a step whose
        # output names are fixed.
        value = shown_dir if self.option == dir_option else self.name
        instead = f"--{self.option}"
        if self.option != dir_option:
            instead += f" or --{dir_option}"
        raise StepError(
            f"--{self.option} {value!r}: {shown_dir}/{self.name} is {found}; a {what} "
            f"replaces only the one the step last wrote there: move it away, or give "
            f"another {instead}"
        )


class Outputs:
    """The outputs of one run, written as one transaction under --output_dir.

    ``claim`` each output before reading any data: it refuses an output that would
    replace what the step did not write, and locks it, so that a second run writing
    the same output at the same time is refused on one line. ``write`` each under a
    temporary name and ``log`` it. When the block ends without an error, every output
    is renamed into place, logged as a W&B artifact, and the W&B run is finished: the
    outputs stand only once W&B has recorded them, so leaving the block ends the run.
    When the block raises (bad data, a full disk, a signal), or W&B cannot record the
    run, nothing stays renamed, nothing is logged, and every temporary file is
    removed. A run killed outright (SIGKILL) leaves its temporary files behind: the
    next run that claims the same output removes them.
    """

    def __init__(self, run: wandb.Run, output_dir: str, option: str = "output_dir"):
        self.run, self.shown, self.option = run, output_dir, option
        self.folder = Path(output_dir)
        self.outputs: list[Output] = []
        self.created_folder = False

    def __enter__(self) -> Self:
        check_output_dir(self.option, self.shown)
        runs = wandb_folder(self.run)
        if self.folder.resolve().is_relative_to(runs):
            raise StepError(
                f"--{self.option} {self.shown!r}: is inside W&B's folder "
                f"{str(runs)!r}, where W&B keeps its runs; give outputs a folder of "
                "their own (default outputs)"
            )
        try:
            self.created_folder = not self.folder.exists()
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise self.os_error(err, "cannot create it") from None
        return self

    def os_error(self, err: OSError, doing: str) -> StepError:
        return StepError(f"--{self.option} {self.shown!r}: {doing}: {os_problem(err)}")

    def claim(self, name: str, option: str, is_folder: bool = False) -> Output:
        """Lock the output ``name`` (a file, or a folder for a model export) for this
        run, once it is known that it may replace what is there."""
        output = Output(self.folder, name, option, is_folder)
        self.lock(output)
        self.outputs.append(output)
        output.read_record()
        output.check_replaceable(self.option, self.shown)
        self.clear_leftovers(output)
        output.claimed = True
        return output

    def lock(self, output: Output) -> None:
        import fcntl  # POSIX: Linux and macOS, where MLflow runs its projects

        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
        while True:
            try:
                fd = os.open(output.lock, flags, 0o644)
            except OSError as err:
                raise self.os_error(err, f"cannot write {output.name} there") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise StepError(
                    f"--{self.option} {self.shown!r}: another run is writing "
                    f"{output.name} there now; wait for it to end, or give another "
                    f"--{self.option}"
                ) from None
            # The lock file may have been removed by the run that held it between our
            # open and lock: then the lock guards nothing, and we take a fresh one.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(output.lock))
            except FileNotFoundError:
                same = False
            if same:
                output.lock_fd = fd
                return
            os.close(fd)

    def clear_leftovers(self, output: Output) -> None:
        """What a run killed outright left: its temporary copy, and the earlier
        output it had moved aside, which is put back if nothing replaced it."""
        for leftover in (output.partial, output.previous):
            if os.path.lexists(leftover) and kind_of(leftover) != output.kind:
                raise StepError(
                    f"--{self.option} {self.shown!r}: {leftover.name} there is "
                    f"{kind_of(leftover)}, not what the step leaves; names starting "
                    "with '.' and the output's name are the step's own: move it away"
                )
        try:
            remove(output.partial)
            if os.path.lexists(output.previous):
                if os.path.lexists(output.path):
                    remove(output.previous)
                else:
                    output.previous.rename(output.path)
                    output.replaced = identity(output.path)
        except OSError as err:
            problem = f"cannot clear an earlier run's {output.name}"
            raise self.os_error(err, problem) from None

    def write(self, output: Output, write: Callable[[Path], object]) -> Path:
        """Call ``write(partial)`` for the temporary path of ``output``."""
        output.started = True
        try:
            write(output.partial)
        except OSError as err:
            raise self.os_error(err, f"cannot write {output.name}") from None
        output.written = True
        return output.path

    def write_csv(self, output: Output, rows: pd.DataFrame) -> Path:
        from step_io.frames import to_csv

        return self.write(output, lambda partial: to_csv(rows, partial))

    def log(
        self, output: Output, type: str, description: str, **metadata: object
    ) -> None:
        """Log ``output`` as a new version of the artifact named like it, once every
        output is in place."""
        output.artifact = {
            "type": type,
            "description": description,
            "metadata": metadata,
        }

    def __exit__(self, kind, err, traceback) -> None:
        # From here on the step either completes or cleans up: a signal waits.
        hold_signals()
        failed = kind is not None
        try:
            if not failed:
                self.commit()
                self.log_artifacts()
                self.finish_run()
                self.drop_replaced()
        except BaseException:
            failed = True
            raise
        finally:
            if failed:
                self.roll_back()
            self.release()
            if failed and self.created_folder:
                with suppress(OSError):
                    self.folder.rmdir()  # only if it is empty

    def commit(self) -> None:
        for output in self.outputs:
            if not output.written:
                raise RuntimeError(f"{output.name} was claimed but never written")
        for output in self.outputs:
            try:
                new = identity(output.partial)
                # Recorded first: a run killed in between leaves a record that still
                # vouches for whichever of the two is in place.
                vouched = [output.replaced, new] if output.replaced else [new]
                output.write_record(vouched)
                if output.replaced:
                    if output.is_folder:
                        output.path.rename(output.previous)
                    else:
                        link_or_move(output.path, output.previous)
                output.partial.replace(output.path)
            except OSError as err:
                raise self.os_error(err, f"cannot put {output.name} in place") from None
            output.committed = True

    def log_artifacts(self) -> None:
        import wandb

        for output in self.outputs:
            if output.artifact is None:
                continue
            artifact = wandb.Artifact(
                output.name,
                type=output.artifact["type"],
                description=output.artifact["description"],
                metadata=output.artifact["metadata"],
            )
            hashing_in_blocks(artifact)
            add_logged_copy(artifact, output.path, logged_outputs_dir(self.run))
            self.run.log_artifact(artifact)

    def finish_run(self) -> None:
        import wandb

        try:
            finish(self.run)
        except (OSError, wandb.errors.Error) as err:
            problem = os_problem(err) if isinstance(err, OSError) else one_line(err)
            raise StepError(
                f"W&B cannot record the run in {str(wandb_folder(self.run))!r}: "
                f"{problem}; make room there, or set WANDB_DIR to another folder"
            ) from None

    def drop_replaced(self) -> None:
        for output in self.outputs:
            if os.path.lexists(output.previous):
                remove(output.previous)
            output.write_record([identity(output.path)])

    def roll_back(self) -> None:
        """Undo what this run wrote and put back what it replaced."""
        for output in reversed(self.outputs):
            if not output.claimed:
                continue  # refused: nothing of it is this run's
            if output.committed:
                remove(output.path)
                if os.path.lexists(output.previous):
                    output.previous.rename(output.path)
                output.committed = False
            if output.started:
                remove(output.partial)
            output.write_record([output.replaced] if output.replaced else [])

    def release(self) -> None:
        for output in self.outputs:
            if not output.record:
                # Nothing to remember: removed while still held, so that no run
                # can lock a file about to go.
                output.lock.unlink(missing_ok=True)
            os.close(output.lock_fd)
            output.lock_fd = None


def log_dataset_output(
    outputs: Outputs,
    output: Output,
    args: argparse.Namespace,
    step: str,
    **metadata: object,
) -> None:
    """Log ``output`` as the artifact --output_artifact, --output_type and
    --output_description name, for a step that logs one dataset; its metadata is the
    step's name, its --input_artifact where it has one, and ``metadata``."""
    details: dict[str, object] = {"step": step}
    if hasattr(args, "input_artifact"):
        details["input"] = args.input_artifact
    details.update(metadata)
    outputs.log(output, args.output_type, args.output_description, **details)


def link_or_move(source: Path, target: Path) -> None:
    """Keep ``source`` under the name ``target`` too (or only, where the file
    system has no hard links)."""
    try:
        os.link(source, target)
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EXDEV):
            raise
        source.rename(target)


def wandb_folder(run: wandb.Run) -> Path:
    """The ``wandb`` folder W&B keeps its runs in (``<run folder>/files`` is
    ``run.dir``)."""
    return Path(run.dir).resolve().parents[1]


def logged_outputs_dir(run: wandb.Run) -> Path:
    return Path(run.dir).parent / LOGGED_OUTPUTS


def hashing_in_blocks(artifact: wandb.Artifact) -> wandb.Artifact:
    """``artifact``, hashing the files it is given a megabyte at a time. W&B maps a
    whole file into memory to hash it, which puts all of a large output in the
    step's resident memory at the end of its run; the MD5 is the same either way.
    Another digest (W&B's xxh128) is left to W&B."""
    calculate = getattr(artifact, "_calculate_file_digest", None)
    if calculate is None:  # another W&B: it hashes as it does
        return artifact

    def digest(path) -> str:
        algorithm = getattr(artifact, "digest_algorithm", None)
        if getattr(algorithm, "value", None) != "MANIFEST_MD5":
            return calculate(path)
        md5 = hashlib.md5(usedforsecurity=False)
        with open(path, "rb") as file:
            while block := file.read(1 << 20):
                md5.update(block)
        return base64.b64encode(md5.digest()).decode("ascii")

    artifact._calculate_file_digest = digest
    return artifact


def add_logged_copy(artifact: wandb.Artifact, path: Path, staging: Path) -> None:
    """Add ``path`` (a file or a folder) to ``artifact`` through a hard link in
    ``staging``, which no later run replaces: the artifact then describes the bytes
    uploaded from there, until `wandb sync` has uploaded them. Where a hard link
    cannot be made (another file system), W&B copies the file itself instead."""
    copy = staging / path.name
    try:
        staging.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            shutil.copytree(path, copy, copy_function=os.link)
        else:
            os.link(path, copy)
    except OSError:
        remove(copy)
        if path.is_dir():
            artifact.add_dir(str(path))
        else:
            artifact.add_file(str(path), name=path.name)
        return
    # The copy is final, so W&B may hash it in place instead of copying it to a
    # staging folder first, which costs a full copy of a large output.
    if path.is_dir():
        artifact.add_dir(str(copy), policy="immutable")
    else:
        artifact.add_file(str(copy), name=path.name, policy="immutable")


def forget_logged_outputs(run: wandb.Run) -> None:
    """Online, a finished run has uploaded its outputs: their links can go. Offline
    they stay with the run's folder, for `wandb sync`."""
    if getattr(run, "offline", True) or not hasattr(run, "dir"):
        return
    shutil.rmtree(logged_outputs_dir(run), ignore_errors=True)


def main(
    build_parser: Callable[[], argparse.ArgumentParser],
    go: Callable[[argparse.Namespace], None],
    argv: list[str] | None = None,
) -> int:
    """Parse the arguments (``argv``, or the command line's) and run ``go``. A
    StepError, an OS error or a signal becomes one line on stderr, the last the step
    prints, and a non-zero exit code."""
    # W&B logs to files in its folder; when that folder is full, each failed write
    # would print a traceback of its own.
    logging.raiseExceptions = False
    args = build_parser().parse_args(argv)
    script = argv is None
    if script and gc.isenabled():
        # Collecting while W&B and pandas build their modules only finds what
        # lives on; wandb_run resumes collection once the run has started. What
        # go() makes before its run starts is frozen with them, uncollected (a
        # collection there costs about 0.08 s): a step starts its run first.
        gc.disable()
        _Collector.paused = True
    prog = Path(sys.argv[0]).name
    # Run as a script (no argv), the process ends with the step: a signal after the
    # step has ended is ignored, rather than cutting short W&B's own exit.
    with stopping_on_signals(restore=not script):
        try:
            try:
                go(args)
            finally:
                hold_signals()  # what is left is to say how it went
        except StepError as err:
            return fail(prog, str(err), 1)
        except Interrupted as err:
            message = f"interrupted by {err}; nothing was logged"
            return fail(prog, message, 128 + err.signum)
        except OSError as err:
            where = f" {err.filename!r}" if err.filename else ""
            return fail(prog, f"cannot use{where}: {os_problem(err)}", 1)
        finally:
            if script:
                # The process ends next: frozen objects spare its exit a last
                # collection of everything W&B and pandas built (about 0.2 s).
                gc.freeze()
    return 0


def fail(prog: str, message: str, code: int) -> int:
    sys.stdout.flush()
    print(f"{prog}: error: {message}", file=sys.stderr, flush=True)
    # This is the step's last word: a warning raised while the interpreter shuts down
    # would only bury it.
    warnings.simplefilter("ignore")
    return code
