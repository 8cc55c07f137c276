#!/usr/bin/env python3
"""A slow stdout reader for footprint benchmarks: reads 64 KiB, sleeps 0.5 ms, prints the bytes read."""
import sys, time
n = 0
while True:
    b = sys.stdin.buffer.read(1 << 16)
    if not b: break
    n += len(b)
    time.sleep(0.0005)
print(n, file=sys.stderr)
