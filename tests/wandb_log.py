"""Read what an offline W&B run logged, straight from its ``run-<id>.wandb`` file.

wandb 0.31 no longer ships a reader for its transaction log, so this is a small one.
The file is a LevelDB-style log: a 7-byte header (``:W&B``, magic 0xBEE1, version 0),
then 32 KiB blocks of chunks, each ``crc32 (4) | length (2) | type (1) | data``; a
record too long for the rest of a block is split into FIRST, MIDDLE... LAST chunks.
Each reassembled record is a ``wandb_internal_pb2.Record``.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

from wandb.proto import wandb_internal_pb2

HEADER = b":W&B" + struct.pack("<HB", 0xBEE1, 0)
BLOCK_SIZE = 32 * 1024
CHUNK_HEADER_SIZE = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def _chunks(raw: bytes):
    offset = len(HEADER)
    while offset + CHUNK_HEADER_SIZE <= len(raw):
        space_in_block = BLOCK_SIZE - offset % BLOCK_SIZE
        if space_in_block < CHUNK_HEADER_SIZE:
            offset += space_in_block  # the writer pads a block's tail with zeros
            continue
        checksum, length, kind = struct.unpack_from("<IHB", raw, offset)
        start = offset + CHUNK_HEADER_SIZE
        data = raw[start : start + length]
        if kind == 0 and length == 0:
            offset += space_in_block
            continue
        if zlib.crc32(bytes([kind]) + data) & 0xFFFFFFFF != checksum:
            raise ValueError(f"bad checksum in W&B log at byte {offset}")
        yield kind, data
        offset = start + length


def read_records(path: Path) -> list[wandb_internal_pb2.Record]:
    """Every record of one offline run's ``.wandb`` file, in order."""
    raw = Path(path).read_bytes()
    if not raw.startswith(HEADER):
        raise ValueError(f"{path} is not a W&B transaction log")
    records, pending = [], b""
    for kind, data in _chunks(raw):
        if kind in (FULL, FIRST):
            pending = data
        else:
            pending += data
        if kind in (FULL, LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            records.append(record)
            pending = b""
    return records


def _key(item) -> str:
    # wandb-core writes history keys as a path (nested_key), older clients as key.
    return item.key or "/".join(item.nested_key)


class OfflineRun:
    """What one offline run logged: its run record, config, history, artifacts."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.records = read_records(self.path)

    def _of(self, kind: str) -> list:
        kinds = (record.WhichOneof("record_type") for record in self.records)
        return [
            getattr(r, k) for r, k in zip(self.records, kinds, strict=True) if k == kind
        ]

    @property
    def run(self):
        return self._of("run")[0]

    @property
    def config(self) -> dict:
        """The run config as it stands at the end of the log: the one the run started
        with, each later ``run.config.update`` applied over it."""
        config = {}
        for record in [self.run.config, *self._of("config")]:
            for item in record.update:
                config[item.key] = json.loads(item.value_json)
        return {key: value for key, value in config.items() if not key.startswith("_")}

    @property
    def history(self) -> list[dict]:
        return [
            {_key(item): json.loads(item.value_json) for item in h.item}
            for h in self._of("history")
        ]

    @property
    def summary(self) -> dict:
        """The run summary as it stands at the end of the log."""
        summary = {}
        for record in self._of("summary"):
            for item in record.update:
                summary[_key(item)] = json.loads(item.value_json)
        return {key: value for key, value in summary.items() if key != "_wandb"}

    @property
    def artifacts(self) -> list:
        """The artifacts the step logged: its outputs. W&B also stores each logged
        table as an artifact of type run_table, its own bookkeeping, left out here."""
        return [a for a in self._of("artifact") if a.type != "run_table"]

    def media(self, key: str) -> list[dict]:
        """Each value logged under ``key`` that W&B stores as media (a table, a
        histogram, an image): its ``_type`` and what W&B records of it."""
        found = []
        for step in self.history:
            # wandb-core writes a media value as one history item per field: key/_type.
            value = {
                name[len(key) + 1 :]: item
                for name, item in step.items()
                if name.startswith(f"{key}/")
            }
            if "_type" in value:
                found.append(value)
        return found

    def tables(self, key: str) -> list[dict]:
        """Each table logged under ``key``, as W&B wrote it beside the log: its
        ``columns`` and ``data`` (rows)."""
        files = self.path.parent / "files"
        return [
            json.loads((files / media["path"]).read_text(encoding="utf-8"))
            for media in self.media(key)
            if media["_type"] == "table-file"
        ]

    @property
    def exit_code(self) -> int | None:
        exits = self._of("exit")
        return exits[-1].exit_code if exits else None


def offline_runs(folder: Path) -> list[OfflineRun]:
    """The offline runs W&B wrote under ``folder/wandb``, oldest first."""
    return [
        OfflineRun(path)
        for path in sorted(Path(folder).glob("wandb/offline-run-*/run-*.wandb"))
    ]
