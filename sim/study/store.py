"""The run store: a folder of Parquet parts, one row per run, appended as runs finish.

``pandas.read_parquet(DIR)`` reads every run. Each part is written to a hidden
temporary file and renamed into place, so a part is either whole or absent: a study
killed at any moment leaves a readable store, and the runs of the part it had not
yet written are simply run again on resume. Files starting with ``_`` or ``.`` are
the study's own bookkeeping and are skipped by Parquet readers:

- ``_study.json``: the current experiment, its hash, provenance and history;
- ``_plan.parquet``: the planned runs (point, replication, structure, seed, run id);
- ``_report/``: the figures and the Markdown report of ``spc report``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..config import ScenarioError

META_KEY = b"spc.study"
BASE_COLUMNS = (
    ("run_id", pa.string()),
    ("study", pa.string()),
    ("point", pa.int64()),
    ("replication", pa.int64()),
    ("structure", pa.string()),
    ("seed", pa.int64()),
    ("days", pa.int64()),
    ("status", pa.string()),
    ("error", pa.string()),
    ("attempts", pa.int64()),
    ("elapsed_s", pa.float64()),
    ("params", pa.string()),
)


class RunStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._lock: int | None = None  # the descriptor holding the folder's lock

    # ---------------------------------------------------------------- layout
    @property
    def manifest(self) -> Path:
        return self.root / "_study.json"

    @property
    def plan_path(self) -> Path:
        return self.root / "_plan.parquet"

    def parts(self) -> list[Path]:
        return sorted(self.root.glob("part-*.parquet"))

    def prepare(self) -> None:
        """Create the folder, take the writer's lock (held until this process ends, so a
        killed writer never leaves it behind), drop temporary files a killed writer left."""
        if self.root.exists() and not self.root.is_dir():
            raise ScenarioError([f"--out {self.root}: exists and is not a folder"])
        self.root.mkdir(parents=True, exist_ok=True)
        self.lock()
        for tmp in self.root.glob(".part-*.tmp"):
            tmp.unlink(missing_ok=True)

    def lock(self) -> None:
        if getattr(self, "_lock", None) is not None:
            return
        import fcntl

        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ScenarioError(
                [
                    f"--out {self.root}: another study is writing to this folder; wait for it "
                    "or use another --out"
                ]
            ) from None
        self._lock = fd

    def unlock(self) -> None:
        fd, self._lock = self._lock, None
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the lock

    # ---------------------------------------------------------------- manifest
    def read_manifest(self) -> dict | None:
        if not self.manifest.is_file():
            return None
        return json.loads(self.manifest.read_text())

    def write_manifest(self, data: dict) -> None:
        _atomic_bytes(self.manifest, json.dumps(data, indent=2, default=str).encode())

    # ---------------------------------------------------------------- rows
    def done_ids(self) -> set[str]:
        ids: set[str] = set()
        for part in self.parts():
            run_ids = pq.read_table(part, columns=["run_id"]).column(0).to_pylist()
            ids.update(cast(list[str], run_ids))  # a string column no row leaves empty
        return ids

    def append(self, rows: list[dict], schema: pa.Schema, metadata: dict) -> Path | None:
        """Write ``rows`` as one new part, atomically."""
        if not rows:
            return None
        table = pa.Table.from_pylist(
            [{name: row.get(name) for name in schema.names} for row in rows], schema=schema
        )
        meta = dict(table.schema.metadata or {})
        meta[META_KEY] = json.dumps(metadata, sort_keys=True, default=str).encode()
        table = table.replace_schema_metadata(meta)
        name = f"part-{time.time_ns():020d}-{os.getpid()}.parquet"
        tmp = self.root / f".{name}.tmp"
        pq.write_table(table, tmp)
        os.replace(tmp, self.root / name)
        return self.root / name

    def read(self) -> pd.DataFrame:
        """Every stored run (columns unified across parts written by different studies)."""
        tables = [pq.read_table(p) for p in self.parts()]
        if not tables:
            return pd.DataFrame(columns=[n for n, _ in BASE_COLUMNS])
        table = pa.concat_tables(
            [t.replace_schema_metadata(None) for t in tables], promote_options="default"
        )
        return table.to_pandas()


def row_schema(factor_types: dict[str, pa.DataType], outcomes: list[str]) -> pa.Schema:
    fields: list[pa.Field] = [pa.field(n, t) for n, t in BASE_COLUMNS]
    fields += [pa.field(n, t) for n, t in factor_types.items()]
    fields += [pa.field(n, pa.float64()) for n in outcomes if n not in factor_types]
    return pa.schema(fields)


def _atomic_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_plan(store: RunStore, plan_df: pd.DataFrame) -> None:
    tmp = store.root / ".plan.tmp"
    plan_df.to_parquet(tmp, index=False)
    os.replace(tmp, store.plan_path)


def json_safe(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    return x
