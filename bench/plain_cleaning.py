"""The baseline: what a hand-written cleaning script does, in plain pandas.

    python bench/plain_cleaning.py INPUT.csv OUTPUT.csv

The same rows as the generated basic_cleaning step with its defaults: price in
[10, 350], inside the New York City box, last_review parsed as a date.
"""

import sys

import pandas as pd

source, target = sys.argv[1], sys.argv[2]
rows = pd.read_csv(source)
keep = (
    rows["price"].between(10, 350)
    & rows["longitude"].between(-74.25, -73.50)
    & rows["latitude"].between(40.5, 41.2)
)
rows = rows[keep].copy()
rows["last_review"] = pd.to_datetime(rows["last_review"], format="%Y-%m-%d")
rows.to_csv(target, index=False)
