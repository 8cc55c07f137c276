import { badInput } from '../errors.ts'
import type { Fragments, Tasks } from '../trace/model.ts'
import type { Host } from '../types.ts'
import { PYTHON_TIMES } from './text.ts'

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

/** A task's work: the sum of its fragments' work, in ms x MHz (cycles / 1,000). */
function taskWork(fragments: Fragments, t: number): number {
  let work = 0
  for (let i = fragments.offsets[t]!; i < fragments.offsets[t + 1]!; i++) work += fragments.duration[i]!
  return work
}

/**
 * Work is counted in cycles: every fragment's usage must be a number of at least 0 and every
 * task's work (duration x usage, summed) finite, or it is bad input naming the task and fragment.
 * On a what-if host, also its throughput (cpus x MHz) finite, and every task's retimed fragments
 * ending within OpenDT's years: an overflow is refused, never written as Infinity or a bad date.
 */
export function checkWork(tasks: Tasks, fragments: Fragments, host?: Host): void {
  const on = host ? ` on a what-if host of ${host.cpus} x ${host.mhz} MHz` : ''
  const throughput = host ? host.cpus * host.mhz : 1
  // An error names the flags or the topology field that gave the host first.
  const given = host?.source ? `${host.source}: ` : ''
  if (!(Number.isFinite(throughput) && throughput > 0)) {
    throw badInput(
      `${given}what-if host ${host!.cpus} x ${host!.mhz} MHz: its throughput (CPUs x MHz) is not a finite number`,
    )
  }
  const task = (t: number) => `${fragments.path}: task ${tasks.idJson[t]}`
  for (let t = 0; t < tasks.count; t++) {
    let work = 0
    const first = fragments.offsets[t]!
    for (let i = first; i < fragments.offsets[t + 1]!; i++) {
      const usage = fragments.cpuUsage[i]!
      if (!(usage >= 0 && usage !== Infinity)) {
        throw badInput(
          `${task(t)}, fragment ${i - first + 1}: column "cpu_usage" is ${usage}; cycles${on} need a finite usage of at least 0`,
        )
      }
      work += fragments.duration[i]! * usage
    }
    if (!Number.isFinite(work)) {
      throw badInput(`${task(t)}: its fragments' work (duration x cpu_usage, summed) is beyond a double's range`)
    }
    if (host && tasks.submit[t]! + Math.round(work / throughput) > PYTHON_TIMES.to) {
      throw badInput(
        `${given}too slow: ${task(t)}: its fragments would end after year 9999${on} (${work} ms x MHz of work), where OpenDT's times end`,
      )
    }
  }
}

/**
 * Replays the trace as if every task ran on `host` (in place, on the loaded columns). A fragment
 * keeps its cycles: its duration becomes cycles / (cpus x MHz x 1,000) ms (runtimeMs) and
 * its usage cpus x MHz. The model keeps the exact work (ms x MHz) with the throughput as divisor,
 * so fragment times are exact sums divided once (trace/timeline.ts) and nothing is rounded until
 * a message is written. A task's duration becomes its fragments' total (a task without fragments
 * keeps its own), its cpu_count the host's CPUs and its cpu_capacity the host's throughput.
 */
export function retime(tasks: Tasks, fragments: Fragments, host: Host): void {
  checkWork(tasks, fragments, host)
  const throughput = host.cpus * host.mhz
  const { duration, cpuUsage } = fragments
  // work = cycles / 1,000 = ms x MHz: the product itself, exact where cycles would round first.
  // Into doubles: the columns as loaded may be 32-bit (trace/model.ts NumberColumn).
  fragments.duration = Float64Array.from(duration, (d, i) => d * cpuUsage[i]!)
  fragments.cpuUsage = new Float64Array(fragments.count).fill(throughput)
  fragments.divisor = throughput
  for (let t = 0; t < tasks.count; t++) {
    if (fragments.offsets[t] === fragments.offsets[t + 1]) continue
    tasks.duration[t] = runtimeMs(taskWork(fragments, t) * 1_000, host.cpus, host.mhz)
  }
  tasks.cpuCount.fill(host.cpus)
  tasks.cpuCapacity.fill(throughput)
}
