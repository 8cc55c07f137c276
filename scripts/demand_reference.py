#!/usr/bin/env python3
"""An independent reference for `opendt-replay inspect`'s demand figures, as DuckDB queries:
total cycles (sum of duration x cpu_usage x 1,000), and the peak of the demand curve (the sum of
cpu_usage over the fragments running at each instant; a fragment runs from its predecessor's
time, or its task's submission, to its own) with the first instant it is reached, and the
time-weighted mean over the timeline (first submission to last event). Optionally on a what-if host: every fragment's duration
becomes duration x cpu_usage / (cpus x mhz), computed from exact running sums of the work.

    python3 scripts/demand_reference.py TRACE_DIR [CPUS MHZ]   (needs `pip install duckdb`)

It prints JSON; test/e2e/whatif.test.ts holds SURF's figures as this script printed them."""
import json
import sys

import duckdb

trace = sys.argv[1]
host = (int(sys.argv[2]), float(sys.argv[3])) if len(sys.argv) > 3 else None
throughput = f"{host[0] * host[1]}" if host else "NULL"
con = duckdb.connect()
con.execute(f"""
CREATE TABLE t AS SELECT file_row_number AS row, id, epoch_ms(submission_time) AS submit
  FROM read_parquet('{trace}/tasks.parquet', file_row_number = true);
CREATE TABLE f AS SELECT file_row_number AS frow, id, duration::DOUBLE AS duration, cpu_usage
  FROM read_parquet('{trace}/fragments.parquet', file_row_number = true);
-- work in ms x MHz; on a what-if host a fragment lasts work / throughput and uses the throughput.
CREATE TABLE timed AS
  SELECT t.row, f.frow, f.duration * f.cpu_usage AS work,
         coalesce({throughput}, f.cpu_usage) AS usage,
         t.submit + coalesce(
           sum(f.duration * f.cpu_usage) OVER w / {throughput},
           sum(f.duration) OVER w) AS ends
  FROM f JOIN t ON f.id = t.id
  WINDOW w AS (PARTITION BY t.row ORDER BY f.frow ROWS UNBOUNDED PRECEDING);
CREATE TABLE spans AS
  SELECT usage, coalesce(lag(ends) OVER (PARTITION BY row ORDER BY frow), (SELECT submit FROM t WHERE t.row = timed.row)) AS starts, ends
  FROM timed;
CREATE TABLE events AS
  SELECT starts AS ts, usage AS delta FROM spans UNION ALL SELECT ends, -usage FROM spans;
CREATE TABLE steps AS
  SELECT ts, sum(sum(delta)) OVER (ORDER BY ts) AS level FROM events GROUP BY ts;
""")
total = con.execute("SELECT sum(work)::HUGEINT * 1000 FROM timed").fetchone()[0]
peak, peak_at = con.execute("SELECT level, ts FROM steps ORDER BY level DESC, ts LIMIT 1").fetchone()
start = con.execute("SELECT min(submit) FROM t").fetchone()[0]
# The timeline ends at its last event: a fragment's end, or a late task's submission.
end = con.execute("SELECT greatest((SELECT max(ends) FROM timed), (SELECT max(submit) FROM t))").fetchone()[0]
integral = con.execute(
    "SELECT sum(level * (nxt - ts)) FROM (SELECT level, ts, lead(ts) OVER (ORDER BY ts) AS nxt FROM steps) WHERE nxt IS NOT NULL"
).fetchone()[0]
print(json.dumps({
    "totalCycles": str(total),
    "peak": peak,
    "peakAt": peak_at,
    "mean": integral / (end - start),
    "from": start,
    "to": end,
}))
