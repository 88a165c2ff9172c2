"""What a person looks at in W&B: a preview of the rows, a column's distribution.

For a step that streams its rows (``step_io.blocks``), a ``Tally`` notes each block as
it passes, keeping only what the pictures need.
"""

from __future__ import annotations

import array
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import wandb

PREVIEW_ROWS = 20


def preview_table(rows: pd.DataFrame, count: int = PREVIEW_ROWS) -> wandb.Table:
    """The first ``count`` rows as a W&B table, as text where W&B would not take a
    value (dates, missing values)."""
    import pandas as pd
    import wandb

    head = rows.head(count).copy()
    for column in head.columns:
        if not pd.api.types.is_numeric_dtype(head[column]):
            head[column] = head[column].astype("string").fillna("")
    return wandb.Table(dataframe=head)


class Tally:
    """What a streaming step keeps of its blocks for W&B: the rows in and out, the
    first rows kept, and one numeric column's values before and after, as float32:
    4 bytes a row each, at most 40 MB for five million rows (a histogram's bins span
    them all, so all are kept until it is made)."""

    def __init__(self, column: str, preview_rows: int = PREVIEW_ROWS) -> None:
        self.column, self.preview_rows = column, preview_rows
        self.rows_in = self.rows_out = 0
        self.first_kept: pd.DataFrame | None = None
        self.before, self.after = array.array("f"), array.array("f")

    def add(self, rows: pd.DataFrame, kept: pd.DataFrame) -> None:
        """Note a block: ``rows`` as read, and ``kept``, what the step made of them."""
        import numpy as np
        import pandas as pd

        self.rows_in += len(rows)
        self.rows_out += len(kept)
        for values, frame in ((self.before, rows), (self.after, kept)):
            numbers = pd.to_numeric(frame[self.column], errors="coerce")
            numbers = numbers.to_numpy("float32", na_value=np.nan)
            # A missing value has no place on the axis, nor has an infinite one.
            values.frombytes(numbers[np.isfinite(numbers)].tobytes())
        if self.first_kept is None or len(self.first_kept) < self.preview_rows:
            parts = [part for part in (self.first_kept, kept) if part is not None]
            head = pd.concat(parts, ignore_index=True) if len(parts) > 1 else kept
            self.first_kept = head.head(self.preview_rows)

    def counts(self) -> dict[str, int]:
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_dropped": self.rows_in - self.rows_out,
        }

    def pictures(self) -> dict[str, object]:
        """A preview table of the first rows kept, and histograms of the column
        before and after (W&B's own, cheap to make: no plotting library)."""
        import numpy as np
        import wandb

        return {
            "preview": preview_table(self.first_kept),
            f"{self.column}_before": wandb.Histogram(np.frombuffer(self.before, "f")),
            f"{self.column}_after": wandb.Histogram(np.frombuffer(self.after, "f")),
        }
