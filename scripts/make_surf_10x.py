#!/usr/bin/env python3
"""A 10x SURF for footprint and speed benchmarks: ten copies of the week, copy k shifted k weeks.

    python3 scripts/make_surf_10x.py [SURF_DIR] [OUT_DIR]   (defaults ../shared/data/surf, /tmp/surf-10x)

Ids stay integer text (copy k adds k * 100,000,000), so both formats read them; fragments keep
their file order within each copy. Needs duckdb (pip install duckdb). About 23.2 M fragments.
"""
import os
import sys

import duckdb

src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'shared', 'data', 'surf')
dst = sys.argv[2] if len(sys.argv) > 2 else '/tmp/surf-10x'
os.makedirs(dst, exist_ok=True)
con = duckdb.connect()
shifted_id = "CAST(CAST(id AS BIGINT) + k * 100000000 AS VARCHAR) AS id"
con.execute(f"""
COPY (
  SELECT {shifted_id}, submission_time + to_days(CAST(7 * k AS INTEGER)) AS submission_time,
         duration, cpu_count, cpu_capacity, mem_capacity
  FROM read_parquet('{src}/tasks.parquet', file_row_number = true), range(10) t(k)
  ORDER BY k, file_row_number
) TO '{dst}/tasks.parquet' (FORMAT PARQUET, COMPRESSION SNAPPY)
""")
con.execute(f"""
COPY (
  SELECT {shifted_id}, duration, cpu_count, cpu_usage
  FROM read_parquet('{src}/fragments.parquet', file_row_number = true), range(10) t(k)
  ORDER BY k, file_row_number
) TO '{dst}/fragments.parquet' (FORMAT PARQUET, COMPRESSION SNAPPY)
""")
rows = con.execute(f"SELECT count(*) FROM read_parquet('{dst}/fragments.parquet')").fetchone()[0]
print(f"{dst}: {rows} fragments")
