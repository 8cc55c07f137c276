import { dlopen, FFIType } from 'bun:ffi'
import { describe, expect, it } from 'bun:test'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createConsola } from 'consola/basic'
import type { InspectArgs, ReplayArgs } from '../../src/cli/flags.ts'
import { inspectCommand } from '../../src/commands/inspect.ts'
import { replayCommand } from '../../src/commands/replay.ts'
import { verifyCommand } from '../../src/commands/verify.ts'
import { shardOf } from '../../src/core/shard.ts'
import { WITH_TASK_LINES } from '../formats/registry.ts'
import { FIXTURES, ROOT, temporaryFolders } from '../helpers.ts'
import { firstRecord, freshTopic, readTopic, readTopicWithPartitions, sharedBroker } from './broker.ts'

/**
 * A third wire format takes its folder and a line of a registry, nothing else: the fixture format
 * of test/formats/task-lines (a line per task, one per fragment), added to a registry in this
 * process, goes through every path the registry's formats take, without a build. Replays run
 * here through the commands, their workers started from test/formats/worker.ts (the product's
 * worker serving the same registry); topics are read back with Kafka's Java consumer, dry-run
 * lines from this process's stdout. What each topic must hold comes from the seed's expected
 * output of the same trace (scripts/make_fixtures.py's independent reference), respelled.
 */
const broker = sharedBroker()
const tempDir = temporaryFolders()
const TRACE = join(FIXTURES, 'v5-interleaved')
const WORKER = new URL('../formats/worker.ts', import.meta.url)
/** The dependency patches, which a Worker does not inherit from bunfig.toml's preload (as src/main.ts hands them). */
const PATCHED = { preload: [join(ROOT, 'patches', 'preload.ts')] }

/** [key, value] per topic, and the dry-run lines, as the fixture format spells the trace's events. */
function expected(lines = 'task-lines', usage = 'task-usage') {
  const out = { lines: [] as [string, string][], usage: [] as [string, string][], dryRun: '' }
  for (const line of readFileSync(join(TRACE, 'expected.ndjson'), 'utf8').trimEnd().split('\n')) {
    const seed = JSON.parse(line)
    const key = JSON.stringify(seed.key.id)
    const at = `"at":"${seed.value.submission_time}"`
    const task = seed.topic === 'tasks'
    // cpu_usage as the line spells it (`1000.0`), which JSON.parse would make 1000.
    const value = task
      ? `{"id":${key},${at},"cpus":${seed.value.cpu_count}}`
      : `{"id":${key},${at},"mhz":${/"cpu_usage":([^}]+)\}\}$/.exec(line)![1]}}`
    out[task ? 'lines' : 'usage'].push([key, value])
    out.dryRun += `{"topic":"${task ? lines : usage}","key":${key},"value":${value}}\n`
  }
  return out
}

const libc = dlopen(process.platform === 'darwin' ? 'libc.dylib' : 'libc.so.6', {
  dup: { args: [FFIType.i32], returns: FFIType.i32 },
  dup2: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
})

/** Runs `fn` with this process's descriptor 1 (which the workers write dry-run lines to) on a file; what it wrote. */
async function capturingStdout<T>(fn: () => Promise<T>): Promise<{ result: T; stdout: string }> {
  const path = join(tempDir('opendt-third-format-'), 'stdout')
  const file = openSync(path, 'w')
  const saved = libc.symbols.dup(1)
  libc.symbols.dup2(file, 1)
  try {
    const result = await fn()
    return { result, stdout: readFileSync(path, 'utf8') }
  } finally {
    libc.symbols.dup2(saved, 1)
    libc.symbols.close(saved)
    closeSync(file)
  }
}

type Signal = 'SIGINT' | 'SIGTERM'

/** The commands' edges, with the test registry: log lines kept, workers from test/formats/worker.ts. */
function edges(log: string[], onSignal: (handler: (signal: Signal) => void) => void = () => {}) {
  return {
    log: createConsola({
      level: 3,
      reporters: [{ log: (o) => void log.push(`[${o.type}] ${o.args.map(String).join(' ')}`) }],
    }),
    env: {},
    spawn: () => new Worker(WORKER, PATCHED),
    onSignal: (handler: (signal: Signal) => void) => {
      onSignal(handler)
      return () => {}
    },
    stderr: { write: () => {}, isTTY: false },
    formats: WITH_TASK_LINES,
    version: 'test',
  }
}

/** `replay` of the fixture trace in the fixture format, in this process; its exit code and log. */
async function replay(args: ReplayArgs, onSignal?: (handler: (signal: Signal) => void) => void) {
  const log: string[] = []
  const code = await replayCommand({ trace_dir: TRACE, format: 'task-lines', ...args }, new Map(), edges(log, onSignal))
  return { code, log }
}

/** `verify --json` of the fixture format against the shared broker; its exit code and report. */
async function verify(args: ReplayArgs) {
  const stdout: string[] = []
  const code = await verifyCommand(
    { trace_dir: TRACE, format: 'task-lines', brokers: broker.bootstrap, json: true, ...args },
    new Map(),
    { ...edges([]), stdout: (text) => void stdout.push(text) },
  )
  return { code, report: JSON.parse(stdout.join('')) }
}

/** Each topic's records as [key, value], in offset order, read by Kafka's Java consumer. */
const readBack = async (topics: [string, string]) =>
  Promise.all(topics.map(async (t) => (await readTopic(broker.bootstrap, t)).map((r) => [r.key, r.value])))

/** Per topic of a verify report: [topic, records read, exact]. */
const verdicts = (report: { topics: { topic: string; read: number; exact: boolean }[] }) =>
  report.topics.map((t) => [t.topic, t.read, t.exact])

describe('a third format, registered in this process: every path of the registry', () => {
  it('replays to stdout at max speed and paced, line for line the trace; its topic flags rename', async () => {
    const want = expected()
    for (const speed of ['max', '100']) {
      const { result, stdout } = await capturingStdout(() => replay({ 'dry-run': true, speed }))
      expect([result.code, stdout]).toEqual([0, want.dryRun])
      expect(result.log.at(-1)).toMatch(/^\[info\] sent 5 lines and 12 usage in /)
    }
    const renamed = await capturingStdout(() =>
      replay({ 'dry-run': true, speed: 'max', 'lines-topic': 'l', 'usage-topic': 'u' }),
    )
    expect(renamed.stdout).toBe(expected('l', 'u').dryRun)
  }, 60_000)

  it('--max-gap skips the idle time between the tasks, the events the format says its messages follow', async () => {
    const summary = join(tempDir('opendt-third-format-'), 'summary.json')
    const { stdout } = await capturingStdout(() =>
      replay({ 'dry-run': true, speed: 'max', 'max-gap': '1s', 'summary-json': summary }),
    )
    expect(stdout).toBe(expected().dryRun)
    // Tasks at 0, 5.25, 10, 10 and 40.001 s: gaps of 5.25, 4.75 and 30.001 s, each cut to 1 s.
    expect(JSON.parse(readFileSync(summary, 'utf8')).skippedTraceSeconds).toBe(37.001)
  }, 60_000)

  it("refuses its flags with another format and another's with it; --format names it", async () => {
    await expect(replay({ format: undefined, 'dry-run': true, 'lines-topic': 'x' })).rejects.toThrow(
      "--lines-topic is a --format task-lines flag; this run's format is tasks-fragments",
    )
    await expect(replay({ 'dry-run': true, heartbeat: '1m' })).rejects.toThrow(
      "--heartbeat is a --format dc-mock flag; this run's format is task-lines",
    )
    await expect(replay({ format: 'lines', 'dry-run': true })).rejects.toThrow(
      '--format: expected tasks-fragments, dc-mock or task-lines, got "lines"',
    )
  })

  it("into Kafka at max speed, read back by Kafka's Java consumer; verify finds both topics exact", async () => {
    const topics: [string, string] = [freshTopic('task-lines'), freshTopic('task-usage')]
    const flags = { 'lines-topic': topics[0], 'usage-topic': topics[1] }
    const sent = await replay({ brokers: broker.bootstrap, speed: 'max', ...flags })
    expect(sent.code).toBe(0)
    const want = expected()
    expect(await readBack(topics)).toEqual([want.lines, want.usage])
    const { code, report } = await verify(flags)
    expect([code, verdicts(report)]).toEqual([
      0,
      [
        [topics[0], 5, true],
        [topics[1], 12, true],
      ],
    ])
  }, 60_000)

  it('paced with a checkpoint, stopped by SIGINT, then --resume: each message once, in order', async () => {
    const topics: [string, string] = [freshTopic('task-lines'), freshTopic('task-usage')]
    const flags = { brokers: broker.bootstrap, 'lines-topic': topics[0], 'usage-topic': topics[1] }
    const checkpoint = join(tempDir('opendt-third-format-'), 'cp.json')
    // 71 s of trace at speed 10: stopped once the first line is in, seconds before the last.
    let stop: ((signal: Signal) => void) | undefined
    const first = replay({ ...flags, speed: '10', checkpoint }, (handler) => {
      stop = handler
    })
    await firstRecord(broker.bootstrap, topics[0])
    stop!('SIGINT')
    expect((await first).code).toBe(130)
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8'))
    expect([saved.identity['--lines-topic'], saved.identity['--usage-topic']]).toEqual(topics)
    expect(saved.streams.usage.acked).toBeLessThan(12)

    // The checkpoint is the format's: another topic of its own is another replay.
    await expect(replay({ ...flags, 'usage-topic': 'other', checkpoint, resume: true })).rejects.toThrow(
      `--usage-topic was ${topics[1]}, now other`,
    )
    const resumed = await replay({ ...flags, speed: 'max', checkpoint, resume: true })
    expect(resumed.code).toBe(0)
    const s = saved.streams
    expect(resumed.log).toContain(
      `[info] resuming from ${checkpoint}: ${s.lines.acked} lines and ${s.usage.acked} usage already ` +
        'acknowledged are skipped; 0 messages sent before the interruption but not acknowledged may be repeated',
    )
    const want = expected()
    expect(await readBack(topics)).toEqual([want.lines, want.usage])
    expect(JSON.parse(readFileSync(checkpoint, 'utf8')).streams).toEqual({
      lines: { sent: 5, acked: 5 },
      usage: { sent: 12, acked: 12 },
    })
  }, 60_000)

  it('--shard 0/2 and 1/2 into two partitions: together the whole replay; verify --shard checks each', async () => {
    const topics: [string, string] = [freshTopic('task-lines'), freshTopic('task-usage')]
    const flags = { brokers: broker.bootstrap, 'lines-topic': topics[0], 'usage-topic': topics[1] }
    for (const shard of ['0/2', '1/2']) {
      expect((await replay({ ...flags, speed: 'max', partitions: '2', shard })).code).toBe(0)
    }
    const want = expected()
    for (const [topic, messages] of [
      [topics[0], want.lines],
      [topics[1], want.usage],
    ] as const) {
      const { partitions, records } = await readTopicWithPartitions(broker.bootstrap, topic)
      expect(partitions).toBe(2)
      // Each shard's keys in its partition (Kafka's partitioner and --shard hash alike), in trace order per key.
      for (const r of records) expect(r.partition).toBe(shardOf(Buffer.from(r.key), 2))
      const byKey = (list: (readonly [string, string])[]) =>
        [...list].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k} ${v}`)
      expect(byKey(records.map((r) => [r.key, r.value]))).toEqual(byKey(messages))
    }
    for (const shard of ['0/2', '1/2']) {
      const { code, report } = await verify({ 'lines-topic': topics[0], 'usage-topic': topics[1], shard })
      expect([shard, code, report.exact]).toEqual([shard, 0, true])
    }
  }, 60_000)

  it("inspect reports its section after the trace's and the registry's formats'", async () => {
    const inspected = async (args: InspectArgs) => {
      const out: string[] = []
      await inspectCommand({ trace_dir: TRACE, ...args }, new Map(), (t) => void out.push(t), WITH_TASK_LINES)
      return out.join('')
    }
    const report = JSON.parse(await inspected({ json: true }))
    expect([Object.keys(report).slice(-2), report.taskLines]).toEqual([
      ['dcMock', 'taskLines'],
      { lines: 5, usage: 12 },
    ])
    const text = await inspected({})
    expect(text.trimEnd().split('\n').at(-1)).toBe('task-lines messages        task-lines 5, task-usage 12')
  })
})
