"""DataFrames written to CSV as pandas writes them, at pyarrow's speed.

pyarrow's CSV writer is several times faster than ``DataFrame.to_csv`` on large frames,
but formats some values its own way. Each column is first put in the form pandas
writes (a whole float keeps its ``.0``, a bool is ``True``/``False``, a date parsed
from the input is a plain date), so that ``pandas.read_csv`` reads back from the file
exactly what it reads from the file ``to_csv`` writes. A frame pyarrow cannot hold as
it is (Python objects, integers beyond 64 bits) is written by pandas itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

# A float pyarrow writes without a fraction or an exponent: pandas writes "149.0".
_WHOLE_NUMBER = r"^-?[0-9]+$"


def csv_table(rows: pd.DataFrame) -> pa.Table:
    """``rows`` as the pyarrow table written to CSV, each value in pandas' form.
    Raises pyarrow's errors for a frame it cannot hold."""
    import pyarrow as pa

    table = pa.Table.from_pandas(rows, preserve_index=False)
    for index, field in enumerate(table.schema):
        written = _as_pandas_writes(table.column(index), field.type)
        if written is not None:
            table = table.set_column(index, field.name, written)
    return table


def _as_pandas_writes(column, kind):
    """The column as pandas writes it, or None where pyarrow already does."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_floating(kind):
        # A column with a fraction somewhere reads back as floats as pyarrow writes
        # it (unquoted); one of whole numbers only needs pandas' ".0" (as text).
        fractions = pc.not_equal(pc.floor(column), column)
        if pc.any(fractions).as_py():
            return None
        text = pc.cast(column, pa.string())
        whole = pc.match_substring_regex(text, _WHOLE_NUMBER)
        return pc.if_else(whole, pc.binary_join_element_wise(text, ".0", ""), text)
    if pa.types.is_boolean(kind):
        return pc.if_else(column, "True", "False")
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:
            raise pa.ArrowTypeError("pandas writes a time zone its own way")
        dates = pc.cast(column, pa.date32())
        midnight = pc.all(pc.equal(pc.cast(dates, kind), column)).as_py()
        if midnight is not False:
            return dates  # pandas writes a column of dates alone as plain dates
        seconds = pc.cast(pc.cast(column, pa.timestamp("s")), kind)
        if pc.all(pc.equal(seconds, column)).as_py() is False:
            raise pa.ArrowTypeError("pandas writes fractions of a second its own way")
        return pc.strftime(column, "%Y-%m-%d %H:%M:%S")
    if pa.types.is_duration(kind) or pa.types.is_dictionary(kind):
        raise pa.ArrowTypeError("pandas writes this type its own way")
    return None


def write_frame(rows: pd.DataFrame, sink, header: bool = True) -> None:
    """Write ``rows`` to the open file ``sink`` as ``rows.to_csv(index=False)``
    would: its header line as pandas writes it (pyarrow quotes every name), if
    ``header``, then the rows, by pandas itself where pyarrow cannot hold them."""
    import pyarrow as pa
    from pyarrow import csv

    try:
        table = csv_table(rows)
    except (
        pa.ArrowInvalid,
        pa.ArrowTypeError,
        pa.ArrowNotImplementedError,
        OverflowError,  # integers beyond 64 bits
    ):
        sink.write(rows.to_csv(index=False, header=header).encode("utf-8"))
        return
    if header:
        sink.write(rows.head(0).to_csv(index=False).encode("utf-8"))
    options = csv.WriteOptions(include_header=False, quoting_style="needed")
    csv.write_csv(table, sink, options)


def to_csv(rows: pd.DataFrame, path: Path) -> None:
    """Write ``rows`` to ``path`` as ``rows.to_csv(path, index=False)`` would."""
    import pyarrow as pa

    with pa.OSFile(str(path), "wb") as sink:
        write_frame(rows, sink)
