"""A CSV file a block of rows at a time, typed as ``pandas.read_csv`` types it whole.

For work that decides each row on its own (a filter, a column computed from its row):
memory stays flat whatever the file's size. The file is read twice with pyarrow: first
to learn each column's type over every row, as pandas would (whole numbers, numbers,
true/false, text; a whole-number column with a gap becomes float64; a column with no
value at all float64), then a block at a time, each block given those types. So every
block has the same dtypes, the ones ``pandas.read_csv`` gives the whole file, and an
ordinary pandas edit behaves in the step as in a unit test on a typed frame.

    from step_io.blocks import read_csv_blocks, write_csv_blocks

    blocks = read_csv_blocks(path, "input_artifact", {"price": "number"})
    cleaned = (clean(rows) for rows in blocks)
    outputs.write(output, lambda partial: write_csv_blocks(cleaned, partial))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from step_io._core import StepError, check_columns, one_line, unreadable_csv

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from step_io.pictures import Tally

# What pandas.read_csv reads as missing (its default na_values).
MISSING_VALUES = [
    *("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan"),
    *("1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a"),
    *("nan", "null"),
]
# What pandas.read_csv reads as true and false.
TRUE_WORDS, FALSE_WORDS = ("True", "TRUE", "true"), ("False", "FALSE", "false")
# The rows come about this many bytes of data at a time: enough that pandas' cost per
# call is lost in the work, little enough that memory stays flat.
CSV_BLOCK_BYTES = 4 << 20
# pyarrow reads up to 32 of its blocks ahead of the one in use, whatever it is told:
# small blocks, gathered into the step's, keep that small.
ARROW_BLOCK_BYTES = 256 << 10


@dataclass
class ColumnType:
    """What the values of one column seen so far could all be read as."""

    values: int = 0
    missing: int = 0
    kinds: list[str] = field(default_factory=lambda: ["int64", "float64", "bool"])
    # The first value that is not a number, and its row, for a column that must be.
    first_text: tuple[int, str] | None = None

    def see(self, text: pa.ChunkedArray, first_row: int) -> None:
        """Note the block of values ``text``, whose first is row ``first_row``."""
        missing = text.null_count
        self.missing += missing
        self.values += len(text) - missing
        if missing == len(text):
            return
        # A whole number is a number too, and no number is true or false.
        if "int64" in self.kinds and _readable_as(text, "int64"):
            self.kinds = ["int64", "float64"]
        elif "float64" in self.kinds and _readable_as(text, "float64"):
            self.kinds = ["float64"]
        elif "bool" in self.kinds and _readable_as(text, "bool"):
            self.kinds = ["bool"]
        else:
            if self.kinds and self.first_text is None:
                values = text.to_pylist()
                row = next((i for i, v in enumerate(values) if _not_number(v)), 0)
                self.first_text = (first_row + row, values[row])
            self.kinds = []

    @property
    def dtype(self) -> str:
        """The type pandas.read_csv gives the column."""
        if not self.values:
            return "float64"
        if "int64" in self.kinds:
            return "float64" if self.missing else "int64"
        if "float64" in self.kinds:
            return "float64"
        if "bool" in self.kinds:
            return "object" if self.missing else "bool"
        return "str"


def _not_number(value: str | None) -> bool:
    if value is None:
        return False
    try:
        float(value)
    except ValueError:
        return True
    return False


def _readable_as(text, kind: str) -> bool:
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind == "bool":
        words = pa.array([*TRUE_WORDS, *FALSE_WORDS])
        return bool(pc.all(pc.is_in(pc.drop_null(text), value_set=words)).as_py())
    return _converted(text, kind) is not None


def _converted(text, kind: str):
    """The text column as ``kind`` (int64 or float64), or None if a value is not
    one: blanks around a number are allowed, as pandas allows them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    to = pa.int64() if kind == "int64" else pa.float64()
    try:
        return pc.cast(text, to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    try:
        return pc.cast(pc.utf8_trim_whitespace(text), to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def read_csv_blocks(
    path: Path,
    option: str,
    columns: dict[str, str] | None = None,
    shown: str | None = None,
    block_bytes: int = CSV_BLOCK_BYTES,
) -> Iterator[pd.DataFrame]:
    """The rows of the CSV file ``path`` a block at a time (about ``block_bytes`` of
    data each), as ``pandas.read_csv`` would read the whole file: the same column
    names, dtypes and missing values in every block. ``columns`` maps the columns the
    step needs to their kind ("number", "text" or "any"): a file without one, or with
    text in a "number" column, fails on one line naming ``option``, the file (as
    ``shown``, default its path), the column and the row, before any block is given.
    """
    import pyarrow as pa

    # The system's allocator hands memory back as the blocks go by; pyarrow's own
    # keeps it, for as long as the process lives.
    pa.set_memory_pool(pa.system_memory_pool())
    shown = str(path) if shown is None else shown
    columns = columns or {}
    with unreadable_csv(option, shown, pa.ArrowInvalid), longest_row(option, shown):
        names = _column_names(path, option, shown, columns)
        seen = {name: ColumnType() for name in names}
        rows = 0
        for table in _blocks(path, names, block_bytes):
            for name in names:
                seen[name].see(table[name], rows + 1)
            rows += table.num_rows
        if not rows:
            raise StepError(f"--{option} {shown!r}: the file has no rows")
        _check_numbers(option, shown, columns, seen)
        dtypes = [seen[name].dtype for name in names]
        for table in _blocks(path, names, block_bytes, dtypes):
            yield _frame(table, dtypes)


def map_blocks(
    function: Callable[[pd.DataFrame], pd.DataFrame],
    blocks: Iterator[pd.DataFrame],
    option: str,
    shown: str,
    tally: Tally | None = None,
) -> Iterator[pd.DataFrame]:
    """``function(rows)`` for each block of ``blocks`` as it comes. A ValueError it
    raises fails the step on one line naming --option, the file as ``shown`` and the
    block's rows; ``tally``, if given, notes each block and what became of it."""
    first = 1
    for rows in blocks:
        try:
            result = function(rows)
        except ValueError as err:
            where = f"rows {first:,}-{first + len(rows) - 1:,}"
            raise StepError(f"--{option} {shown!r}: {where}: {one_line(err)}") from None
        if tally is not None:
            tally.add(rows, result)
        first += len(rows)
        yield result


def _column_names(path: Path, option: str, shown: str, columns: dict) -> list[str]:
    """The column names as pandas.read_csv names them (a repeated name gets .1)."""
    import pandas as pd

    names = list(pd.read_csv(path, nrows=0).columns)
    check_columns(option, shown, names, columns)
    return names


def _check_numbers(option, shown, columns, seen: dict[str, ColumnType]) -> None:
    """Refuse a "number" column that pandas would not read as numbers."""
    not_numbers = [
        name
        for name, kind in columns.items()
        if kind == "number" and seen[name].dtype not in ("int64", "float64")
    ]
    if not not_numbers:
        return
    where = [
        f" (row {seen[name].first_text[0]:,} of {name}: {seen[name].first_text[1]!r})"
        for name in not_numbers
        if seen[name].first_text
    ]
    raise StepError(
        f"--{option} {shown!r}: column(s) {', '.join(not_numbers)} should hold "
        f"numbers{''.join(where[:1])}"
    )


def _blocks(
    path: Path, names: list[str], block_bytes: int, dtypes: list[str] | None = None
) -> Iterator:
    """The file's rows as pyarrow tables of about ``block_bytes`` of data each, their
    columns named ``names``, missing values as nulls: each column parsed as the
    dtype ``dtypes`` gives it in pandas, or, without ``dtypes``, as text."""
    import pyarrow as pa
    from pyarrow import csv

    read = csv.ReadOptions(block_size=min(block_bytes, ARROW_BLOCK_BYTES))
    # Quoted line breaks (in a listing's title) stay inside their value.
    parse = csv.ParseOptions(newlines_in_values=True)
    with csv.open_csv(path, read_options=read, parse_options=parse) as header:
        raw_names = header.schema.names
    if len(set(raw_names)) < len(raw_names):
        # A repeated name: each column is typed by pandas' name for it (a, a.1).
        read = csv.ReadOptions(
            block_size=read.block_size, column_names=names, skip_rows=1
        )
        raw_names = names
    arrow_types = {"int64": pa.int64(), "float64": pa.float64()}
    arrow_types.update(bool=pa.bool_(), object=pa.bool_(), str=pa.large_string())
    kinds = dtypes or ["str"] * len(raw_names)
    convert = csv.ConvertOptions(
        column_types={
            raw: arrow_types[kind] for raw, kind in zip(raw_names, kinds, strict=True)
        },
        null_values=MISSING_VALUES,
        strings_can_be_null=True,
        true_values=list(TRUE_WORDS),
        false_values=list(FALSE_WORDS),
    )
    with csv.open_csv(
        path, read_options=read, parse_options=parse, convert_options=convert
    ) as reader:
        for table in gathered(reader, block_bytes):
            yield table.rename_columns(names)


def _frame(table, dtypes: list[str]) -> pd.DataFrame:
    """A block of typed columns as pandas.read_csv gives them."""
    rows = table.to_pandas()
    for name, dtype in zip(table.column_names, dtypes, strict=True):
        if dtype == "object":  # true/false with gaps: pandas keeps Python objects
            rows[name] = rows[name].astype(object).where(rows[name].notna())
    return rows


@contextmanager
def longest_row(option: str, shown: str) -> Iterator[None]:
    """A row longer than the reader's block is refused in words a person can act on:
    pyarrow's own message asks for a block size the step's user cannot set."""
    import pyarrow as pa

    try:
        yield
    except pa.ArrowInvalid as err:
        if "straddl" not in str(err):
            raise
        raise StepError(
            f"--{option} {shown!r}: a row is longer than "
            f"{ARROW_BLOCK_BYTES >> 10} KB, the most the step reads at once (a quote "
            "left open makes the rest of the file one row); shorten it, or raise "
            "step_io.blocks.ARROW_BLOCK_BYTES"
        ) from None


def gathered(batches: Iterator, block_bytes: int) -> Iterator:
    """pyarrow's record ``batches`` gathered into tables of about ``block_bytes``."""
    import pyarrow as pa

    pending, size = [], 0
    for batch in batches:
        pending.append(batch)
        size += batch.nbytes
        if size >= block_bytes:
            yield pa.Table.from_batches(pending)
            pending, size = [], 0
    if pending:
        yield pa.Table.from_batches(pending)


def write_csv_blocks(frames: Iterator[pd.DataFrame], path: Path) -> None:
    """``to_csv`` for frames made a block at a time: each is written as it comes,
    after the one before, under the first one's header, as pandas writes it. Every
    frame must have the same columns."""
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa

    from step_io.frames import write_frame

    names = writing = None
    # pyarrow writes a block while the next one is read and worked on (it lets go of
    # the GIL); one block at most waits to be written.
    with pa.OSFile(str(path), "wb") as sink, ThreadPoolExecutor(1) as writer:
        for frame in frames:
            if names is not None and list(frame.columns) != names:
                raise StepError(
                    f"a block of rows came out with the columns {list(frame.columns)},"
                    f" the first with {names}: every block must have the same columns"
                )
            if writing is not None:
                writing.result()
            writing = writer.submit(write_frame, frame, sink, names is None)
            names = list(frame.columns)
        if writing is not None:
            writing.result()
    # What the blocks used goes back to the system, before W&B hashes the output.
    pa.default_memory_pool().release_unused()
