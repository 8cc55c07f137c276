/**
 * Cycle math from the seed: a fragment needs duration (ms) x usage (MHz) x 1,000 cycles
 * (MHz is 1e6 cycles per second, a millisecond is 1e-3 s), and takes
 * cycles / (cpus x MHz x 1e6) seconds on a host with `cpus` CPUs at `mhz` each.
 */

/** Total clock cycles a fragment needs. */
export function totalCycles(durationMs: number, usageMhz: number): number {
  if (!(durationMs >= 0)) throw new RangeError(`cycles: duration must be >= 0 ms, got ${durationMs}`)
  if (!(usageMhz >= 0)) throw new RangeError(`cycles: cpu usage must be >= 0 MHz, got ${usageMhz}`)
  return durationMs * usageMhz * 1_000
}

/** Milliseconds that `cycles` take on `cpus` CPUs at `mhz` MHz each. */
export function runtimeMs(cycles: number, cpus: number, mhz: number): number {
  if (!(cycles >= 0)) throw new RangeError(`cycles: cycle count must be >= 0, got ${cycles}`)
  if (!(cpus > 0)) throw new RangeError(`cycles: host CPU count must be > 0, got ${cpus}`)
  if (!(mhz > 0)) throw new RangeError(`cycles: host CPU frequency must be > 0 MHz, got ${mhz}`)
  // cycles / (cpus * mhz * 1e6) seconds, times 1e3 for ms; divided once to keep exact integers exact.
  return cycles / (cpus * mhz * 1_000)
}

/** A fragment's duration when replayed on a host of `cpus` x `mhz`. */
export function retimedDurationMs(durationMs: number, usageMhz: number, cpus: number, mhz: number): number {
  return runtimeMs(totalCycles(durationMs, usageMhz), cpus, mhz)
}
