import { beforeAll, describe, expect, it } from 'bun:test'
import { requireBinary, run } from '../helpers.ts'
import { traceColumns, writeTrace } from '../parquet.ts'

/**
 * The edges an outside sweep found past the checks (what-if, inspect, flags): each case asserts
 * the exact line, exit 2 and an empty stdout, where the binary used to write bad data or fail
 * with an internal error.
 */
let bin: string
beforeAll(() => {
  bin = requireBinary()
})

/** A small trace (tasks a and b, three fragments) with fragment usages replaced. */
function traceWithUsage(usage: number[]): string {
  const { tasks, fragments } = traceColumns({
    fragments: { cpu_usage: { name: 'cpu_usage', data: usage, type: 'DOUBLE' } },
  })
  return writeTrace(tasks, fragments)
}

async function expectRefused(args: string[], line: string) {
  const result = await run([bin, ...args])
  expect(result).toEqual({ code: 2, stdout: '', stderr: `[error] ${line}\n` })
}

describe('what-if values that overflow are refused, never written', () => {
  it('a host whose throughput (CPUs x MHz) is not finite', async () => {
    await expectRefused(
      [
        'replay',
        traceWithUsage([500, 600, 700]),
        '--dry-run',
        '--speed',
        'max',
        '--host-cpus',
        '10',
        '--host-mhz',
        '1e308',
      ],
      'what-if host 10 x 1e+308 MHz: its throughput (CPUs x MHz) is not a finite number',
    )
  })

  it('a host so slow the fragments would end after year 9999', async () => {
    const dir = traceWithUsage([500, 600, 700])
    await expectRefused(
      ['replay', dir, '--dry-run', '--speed', 'max', '--host-cpus', '1', '--host-mhz', '1e-300'],
      `${dir}/fragments.parquet: task "a": its fragments would end after year 9999 on a what-if host of 1 x 1e-300 MHz (1100000 ms x MHz of work), where OpenDT's times end`,
    )
  })

  it('a usage whose work is beyond a double', async () => {
    const dir = traceWithUsage([1e308, 600, 700])
    await expectRefused(
      ['replay', dir, '--dry-run', '--speed', 'max', '--host-cpus', '1', '--host-mhz', '1'],
      `${dir}/fragments.parquet: task "a": its fragments' work (duration x cpu_usage, summed) is beyond a double's range`,
    )
  })

  it.each([
    [
      'replay',
      ['--dry-run', '--speed', 'max', '--host-cpus', '2', '--host-mhz', '1000'],
      ' on a what-if host of 2 x 1000 MHz',
    ],
    ['inspect', [], ''],
  ])('a negative usage, in %s: the task, fragment and value', async (command, extra, on) => {
    const dir = traceWithUsage([500, -600, 700])
    await expectRefused(
      [command, dir, ...extra],
      `${dir}/fragments.parquet: task "a", fragment 2: column "cpu_usage" is -600; cycles${on} need a finite usage of at least 0`,
    )
  })
})
