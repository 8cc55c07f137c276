#!/usr/bin/env python3
"""A trace of N tasks with one fragment each, one row per row group, written by pyarrow with its
statistics and page index (each group then costs more footer than hyparquet-writer's). Used by
scripts/bench-row-groups.ts for the figure beside DuckDB.

    python3 scripts/row_groups_pyarrow.py N OUT_DIR   (needs pyarrow)"""
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq

n, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out, exist_ok=True)
t0 = 1665093600000  # 2022-10-06T22:00:00Z
ids = [f"t{i}" for i in range(n)]
tasks = pa.table({
    "id": pa.array(ids, pa.string()),
    "submission_time": pa.array([t0 + i * 1000 for i in range(n)], pa.timestamp("ms")),
    "duration": pa.array([1000] * n, pa.int64()),
    "cpu_count": pa.array([1] * n, pa.int32()),
    "cpu_capacity": pa.array([1000.0] * n, pa.float64()),
    "mem_capacity": pa.array([64] * n, pa.int64()),
})
fragments = pa.table({
    "id": pa.array(ids, pa.string()),
    "duration": pa.array([1000] * n, pa.int64()),
    "cpu_usage": pa.array([500.0] * n, pa.float64()),
})
for name, table in (("tasks", tasks), ("fragments", fragments)):
    pq.write_table(table, os.path.join(out, f"{name}.parquet"), row_group_size=1, write_page_index=True)
