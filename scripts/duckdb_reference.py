#!/usr/bin/env python3
"""The same work as `opendt-replay replay TRACE_DIR --dry-run --speed max`, as one DuckDB query:
join, running sums of fragment durations per task (in file order), sort, NDJSON. Used by
scripts/bench.ts for a side-by-side figure and as an independent check of the output.

    python3 scripts/duckdb_reference.py TRACE_DIR OUT

It needs duckdb, installed from PyPI by name: `pip install duckdb` (BENCHMARKS.md measured 2.0.1).

Times are written as whole seconds (SURF's are); this is a reference for SURF, not a tool."""
import sys

import duckdb

trace, out = sys.argv[1], sys.argv[2]
query = f"""
WITH t AS (
  SELECT file_row_number AS row, id, submission_time, duration, cpu_count, cpu_capacity, mem_capacity
  FROM read_parquet('{trace}/tasks.parquet', file_row_number = true)),
f AS (
  SELECT file_row_number AS frow, id, duration, cpu_usage
  FROM read_parquet('{trace}/fragments.parquet', file_row_number = true)),
timed AS (
  SELECT t.row, f.frow, f.id, f.duration, f.cpu_usage,
         t.submission_time + to_milliseconds(sum(f.duration) OVER (PARTITION BY t.row ORDER BY f.frow ROWS UNBOUNDED PRECEDING)) AS ts
  FROM f JOIN t ON f.id = t.id),
lines AS (
  SELECT submission_time AS ts, 0 AS stream, row, 0 AS frow,
    '{{"topic":"tasks","key":{{"id":' || to_json(id) || '}},"value":{{"submission_time":"' || strftime(submission_time, '%Y-%m-%dT%H:%M:%S') ||
    'Z","duration":' || duration || ',"cpu_count":' || cpu_count || ',"cpu_capacity":' || cpu_capacity::VARCHAR || ',"mem_capacity":' || mem_capacity || '}}}}' AS line
  FROM t
  UNION ALL
  SELECT ts, 1, row, frow,
    '{{"topic":"fragments","key":{{"id":' || to_json(id) || '}},"value":{{"submission_time":"' || strftime(ts, '%Y-%m-%dT%H:%M:%S') ||
    'Z","duration":' || duration || ',"cpu_usage":' || cpu_usage::VARCHAR || '}}}}'
  FROM timed)
SELECT line FROM lines ORDER BY ts, stream, row, frow
"""
con = duckdb.connect()
con.execute(f"COPY ({query}) TO '{out}' (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\\x01')")
