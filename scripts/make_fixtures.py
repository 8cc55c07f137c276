#!/usr/bin/env python3
"""Writes the test traces under test/fixtures/ with pyarrow (as OpenDC's own tooling does), and
for each good trace the expected dry-run output, computed here independently of the TypeScript
code: fragment k of a task at submit + d1 + ... + dk, lines ordered by (time, tasks before
fragments, tasks-file row, fragment order).

    pip install pyarrow && python3 scripts/make_fixtures.py

The outputs are committed, so tests and CI need no Python. Rerun after changing a case.
"""
import datetime as dt
import json
import math
import os
import shutil

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures")
T0 = dt.datetime(2022, 10, 6, 22, 0, 0)
MS = dt.timedelta(milliseconds=1)


def ms(t):
    return int((t - dt.datetime(1970, 1, 1)) / MS)


def fmt_time(epoch_ms):
    t = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=epoch_ms)
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    return s + ("Z" if epoch_ms % 1000 == 0 else ".%03dZ" % (epoch_ms % 1000))


def fmt_double(x):
    return repr(float(x))


def fmt_id(v):
    return json.dumps(v) if isinstance(v, str) else str(int(v))


def expected_lines(tasks, frags, window=(None, None)):
    """tasks: list of dicts (id, submit_ms, duration or None, cpu_count, cpu_capacity, mem_capacity)
    frags: list of dicts (id, duration, cpu_usage) in file order."""
    row_of = {str(t["id"]): i for i, t in enumerate(tasks)}
    per_task = {}
    for f in frags:
        i = row_of.get(str(f["id"]))
        if i is not None:
            per_task.setdefault(i, []).append(f)
    start = min(t["submit_ms"] for t in tasks)
    lo = window[0] if window[0] is not None else start
    hi = window[1] if window[1] is not None else math.inf
    msgs = []
    for i, t in enumerate(tasks):
        dur = t["duration"] if t["duration"] is not None else sum(f["duration"] for f in per_task.get(i, []))
        if lo <= t["submit_ms"] < hi:
            value = '{"submission_time":"%s","duration":%d,"cpu_count":%d,"cpu_capacity":%s,"mem_capacity":%d}' % (
                fmt_time(t["submit_ms"]), dur, t["cpu_count"], fmt_double(t["cpu_capacity"]), t["mem_capacity"])
            msgs.append(((t["submit_ms"], 0, i, 0), "tasks", fmt_id(t["id"]), value))
        at = t["submit_ms"]
        for k, f in enumerate(per_task.get(i, [])):
            at += f["duration"]
            if lo <= at < hi:
                value = '{"submission_time":"%s","duration":%d,"cpu_usage":%s}' % (
                    fmt_time(at), f["duration"], fmt_double(f["cpu_usage"]))
                msgs.append(((at, 1, i, k), "fragments", fmt_id(t["id"]), value))
    msgs.sort(key=lambda m: m[0])
    return ['{"topic":"%s","key":{"id":%s},"value":%s}' % (topic, key, value) for _, topic, key, value in msgs]


def write_case(name, tasks_table, frags_table, tasks, frags, **write_opts):
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    pq.write_table(tasks_table, os.path.join(d, "tasks.parquet"), **write_opts)
    pq.write_table(frags_table, os.path.join(d, "fragments.parquet"), **write_opts)
    if tasks is not None:
        with open(os.path.join(d, "expected.ndjson"), "w") as out:
            for line in expected_lines(tasks, frags):
                out.write(line + "\n")


# ---- v5: string ids, timestamp[ms], unsorted tasks, interleaved fragments, ties, extras ----
def v5():
    tasks = [
        # id, submit, duration, cpu_count, cpu_capacity, mem_capacity
        dict(id="b", submit_ms=ms(T0) + 10_000, duration=60_000, cpu_count=2, cpu_capacity=4200.0, mem_capacity=8000),
        dict(id="a", submit_ms=ms(T0), duration=30_000, cpu_count=1, cpu_capacity=2100.5, mem_capacity=4000),
        dict(id="c", submit_ms=ms(T0) + 10_000, duration=20_000, cpu_count=4, cpu_capacity=8400.0, mem_capacity=16000),
        dict(id="d", submit_ms=ms(T0) + 5_250, duration=0, cpu_count=1, cpu_capacity=1000.0, mem_capacity=1000),  # no fragments
        dict(id="e", submit_ms=ms(T0) + 40_001, duration=15_000, cpu_count=8, cpu_capacity=16800.0, mem_capacity=32000),
    ]
    frags = [
        dict(id="a", duration=10_000, cpu_usage=1000.0),
        dict(id="b", duration=20_000, cpu_usage=2000.25),
        dict(id="a", duration=10_000, cpu_usage=1100.0),
        dict(id="c", duration=10_000, cpu_usage=3000.0),  # same time as b's first fragment... (c: 20s; b: 30s)
        dict(id="b", duration=0, cpu_usage=0.0),  # zero-length: ties with b's previous fragment
        dict(id="zz", duration=5_000, cpu_usage=1.0),  # orphan: skipped and counted
        dict(id="a", duration=10_000, cpu_usage=1200.0),
        dict(id="c", duration=10_000, cpu_usage=3100.75),
        dict(id="b", duration=20_000, cpu_usage=2100.0),
        dict(id="e", duration=5_000, cpu_usage=9000.0),
        dict(id="b", duration=20_000, cpu_usage=2200.0),
        dict(id="e", duration=5_000, cpu_usage=9100.0),
        dict(id="e", duration=5_000, cpu_usage=9200.0),
    ]
    n = len(tasks)
    tasks_table = pa.table({
        "id": pa.array([t["id"] for t in tasks], pa.string()),
        "name": pa.array(["job-%d" % i for i in range(n)], pa.string()),
        "submission_time": pa.array([dt.datetime(1970, 1, 1) + t["submit_ms"] * MS for t in tasks], pa.timestamp("ms")),
        "duration": pa.array([t["duration"] for t in tasks], pa.int64()),
        "cpu_count": pa.array([t["cpu_count"] for t in tasks], pa.int32()),
        "cpu_capacity": pa.array([t["cpu_capacity"] for t in tasks], pa.float64()),
        "mem_capacity": pa.array([t["mem_capacity"] for t in tasks], pa.int64()),
        "gpu_count": pa.array([0] * n, pa.int32()),
        "gpu_capacity": pa.array([0.0] * n, pa.float64()),
        "parents": pa.array([[], ["a"], [], [], ["b", "c"]], pa.list_(pa.string())),
        "children": pa.array([["e"], ["b"], ["e"], [], []], pa.list_(pa.string())),
        "deferrable": pa.array([False, True, False, False, True], pa.bool_()),
        "deadline": pa.array([0, 0, 0, 0, 0], pa.int64()),
    })
    frags_table = pa.table({
        "id": pa.array([f["id"] for f in frags], pa.string()),
        "duration": pa.array([f["duration"] for f in frags], pa.int64()),
        "cpu_usage": pa.array([f["cpu_usage"] for f in frags], pa.float64()),
        "gpu_usage": pa.array([0.0] * len(frags), pa.float64()),
    })
    # Many row groups, nullable columns (pyarrow's default), snappy.
    write_case("v5-interleaved", tasks_table, frags_table, tasks, frags, row_group_size=3)


# ---- v2: integer ids, INT64 epoch-ms submission_time, no task duration, fragments with cpu_count ----
def v2():
    base = ms(T0)
    tasks = [
        dict(id=7, submit_ms=base + 1_500, duration=None, cpu_count=2, cpu_capacity=5000.0, mem_capacity=2048),
        dict(id=3, submit_ms=base, duration=None, cpu_count=1, cpu_capacity=2500.0, mem_capacity=1024),
        dict(id=9, submit_ms=base + 90_000, duration=None, cpu_count=4, cpu_capacity=10000.0, mem_capacity=4096),
    ]
    frags = [
        dict(id=3, duration=30_000, cpu_usage=2400.0),
        dict(id=7, duration=30_000, cpu_usage=4000.5),
        dict(id=3, duration=30_000, cpu_usage=2300.0),
        dict(id=7, duration=28_500, cpu_usage=100.0),
        dict(id=3, duration=30_000, cpu_usage=2200.0),
    ]
    schema_tasks = pa.schema([
        pa.field("id", pa.int64(), nullable=False),
        pa.field("submission_time", pa.int64(), nullable=False),
        pa.field("cpu_count", pa.int32(), nullable=False),
        pa.field("cpu_capacity", pa.float64(), nullable=False),
        pa.field("mem_capacity", pa.int64(), nullable=False),
    ])
    tasks_table = pa.table({
        "id": [t["id"] for t in tasks],
        "submission_time": [t["submit_ms"] for t in tasks],
        "cpu_count": [t["cpu_count"] for t in tasks],
        "cpu_capacity": [t["cpu_capacity"] for t in tasks],
        "mem_capacity": [t["mem_capacity"] for t in tasks],
    }, schema=schema_tasks)
    frags_table = pa.table({
        "id": pa.array([f["id"] for f in frags], pa.int64()),
        "duration": pa.array([f["duration"] for f in frags], pa.int64()),
        "cpu_count": pa.array([1] * len(frags), pa.int32()),
        "cpu_usage": pa.array([f["cpu_usage"] for f in frags], pa.float64()),
    })
    write_case("v2-int-ids", tasks_table, frags_table, tasks, frags, compression="gzip")


# ---- v3: int32 ids, timestamp[us, UTC], zstd, data page v2, no dictionary ----
def v3():
    base = ms(T0)
    tasks = [
        dict(id=1, submit_ms=base + 250, duration=4_000, cpu_count=1, cpu_capacity=1000.0, mem_capacity=100),
        dict(id=2, submit_ms=base + 250, duration=2_000, cpu_count=1, cpu_capacity=1000.0, mem_capacity=100),
    ]
    frags = [dict(id=2, duration=1_000, cpu_usage=500.5), dict(id=1, duration=1_000, cpu_usage=700.0),
             dict(id=2, duration=1_000, cpu_usage=600.0), dict(id=1, duration=3_000, cpu_usage=800.0)]
    tasks_table = pa.table({
        "id": pa.array([t["id"] for t in tasks], pa.int32()),
        "submission_time": pa.array([dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + t["submit_ms"] * MS for t in tasks], pa.timestamp("us", tz="UTC")),
        "duration": pa.array([t["duration"] for t in tasks], pa.int64()),
        "cpu_count": pa.array([t["cpu_count"] for t in tasks], pa.int32()),
        "cpu_capacity": pa.array([t["cpu_capacity"] for t in tasks], pa.float64()),
        "mem_capacity": pa.array([t["mem_capacity"] for t in tasks], pa.int64()),
    })
    frags_table = pa.table({
        "id": pa.array([f["id"] for f in frags], pa.int32()),
        "duration": pa.array([f["duration"] for f in frags], pa.int64()),
        "cpu_count": pa.array([1] * len(frags), pa.int32()),
        "cpu_usage": pa.array([f["cpu_usage"] for f in frags], pa.float64()),
    })
    write_case("v3-micros-zstd", tasks_table, frags_table, tasks, frags,
               compression="zstd", data_page_version="2.0", use_dictionary=False)


# ---- malformed traces: one defect each, on top of a small good trace ----
def good_tables():
    tasks = pa.table({
        "id": pa.array(["t0", "t1", "t2", "t3"], pa.string()),
        "submission_time": pa.array([T0, T0, T0 + dt.timedelta(seconds=5), T0], pa.timestamp("ms")),
        "duration": pa.array([1000, 2000, 3000, 4000], pa.int64()),
        "cpu_count": pa.array([1, 2, 3, 4], pa.int32()),
        "cpu_capacity": pa.array([100.0, 200.0, 300.0, 400.0], pa.float64()),
        "mem_capacity": pa.array([10, 20, 30, 40], pa.int64()),
    })
    frags = pa.table({
        "id": pa.array(["t0", "t1", "t2", "t3", "t0"], pa.string()),
        "duration": pa.array([500, 2000, 3000, 4000, 500], pa.int64()),
        "cpu_usage": pa.array([50.0, 60.0, 70.0, 80.0, 90.0], pa.float64()),
    })
    return tasks, frags


def bad():
    def case(name, tasks, frags):
        write_case("bad/" + name, tasks, frags, None, None)

    tasks, frags = good_tables()
    case("missing-column", tasks.drop_columns(["cpu_capacity"]), frags)
    case("bad-type", tasks.set_column(2, "duration", pa.array(["1", "2", "3", "4"], pa.string())), frags)
    case("null", tasks.set_column(3, "cpu_count", pa.array([1, 2, None, 4], pa.int32())), frags)
    case("nan", tasks, frags.set_column(2, "cpu_usage", pa.array([50.0, 60.0, 70.0, float("nan"), 90.0], pa.float64())))
    case("negative", tasks, frags.set_column(1, "duration", pa.array([500, -5, 3000, 4000, 500], pa.int64())))
    case("duplicate", tasks.set_column(0, "id", pa.array(["t0", "t1", "t2", "t1"], pa.string())), frags)
    case("empty", tasks.slice(0, 0), frags.slice(0, 0))
    case("orphan", tasks, frags.set_column(0, "id", pa.array(["t0", "t1", "t9", "t3", "t0"], pa.string())))
    d = os.path.join(ROOT, "bad")
    os.makedirs(os.path.join(d, "not-parquet"), exist_ok=True)
    with open(os.path.join(d, "not-parquet", "tasks.parquet"), "w") as f:
        f.write("id,submission_time\nt0,2022-10-06\n")
    pq.write_table(frags, os.path.join(d, "not-parquet", "fragments.parquet"))
    os.makedirs(os.path.join(d, "truncated"), exist_ok=True)
    pq.write_table(tasks, os.path.join(d, "truncated", "tasks.parquet"))
    pq.write_table(frags, os.path.join(d, "truncated", "fragments.parquet"))
    path = os.path.join(d, "truncated", "fragments.parquet")
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])


if __name__ == "__main__":
    shutil.rmtree(ROOT, ignore_errors=True)
    v5()
    v2()
    v3()
    bad()
    print("fixtures written to", os.path.normpath(ROOT))
