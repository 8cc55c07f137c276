#!/usr/bin/env bun
/**
 * The test command (`bun run test`), in as little wall time as keeps every check:
 *
 *   bun scripts/test.ts [--checks] [PATH...] [--BUN-TEST-FLAG=VALUE...]
 *
 * PATHs default to test/unit test/e2e test/kafka; bun test's flags pass through (in their = form).
 *
 * 1. Starts, once for the whole command, what the Kafka tests share: one broker (the test files
 *    isolate themselves by topic) and the three-node cluster of test/kafka/cluster.test.ts, each
 *    only when a chosen file asks for it (scripts/kafka.sh; KAFKA_VERSION picks the release).
 *    Tests that need a broker of their own (one they kill, or one with TLS and SASL listeners)
 *    still start it. Likewise the Debian tools the tests drive, Chromium and Prometheus
 *    (scripts/tools.sh: installed with apt-get if missing, when root), when a chosen file names one.
 *    Meanwhile --checks runs lint (Biome), the type check and the build.
 * 2. Runs the test files in three worker processes (bun test --parallel), the slowest first by
 *    test/timings.json (per-file milliseconds: a stale figure changes only the order), each
 *    file's output printed together. The tests see KAFKA_BROKER_STATE_DIR and
 *    KAFKA_CLUSTER_STATE_DIR (test/kafka/broker.ts), and a TMPDIR of this run's own.
 * 3. Stops the broker and the cluster, then fails if the tests left anything in that TMPDIR, naming
 *    each entry; the folder is removed either way.
 *
 * Above its last line it repeats each failed test's name, place and error (from bun test's JUnit
 * report, scripts/junit.ts), because CI keeps only a log's tail. Its last line says passed or
 * failed, why, and how long each stage took. Refresh the timings
 * after a change of weight: `bun scripts/test.ts --update-timings`.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { failedTests, failuresAgain } from './junit.ts'

const ROOT = resolve(import.meta.dir, '..')
const KAFKA_SH = join(ROOT, 'scripts', 'kafka.sh')
const TOOLS_SH = join(ROOT, 'scripts', 'tools.sh')
const WORKERS = 3
const started = performance.now()
const seconds = (from: number) => `${((performance.now() - from) / 1000).toFixed(0)} s`

const args = process.argv.slice(2)
const checks = args.includes('--checks')
const flags = args.filter((a) => a.startsWith('-') && a !== '--checks')
const chosen = args.filter((a) => !a.startsWith('-'))
const paths = chosen.length > 0 ? chosen : ['test/unit', 'test/e2e', 'test/kafka']

/** The test files the paths choose, as bun test reads a path: any file whose path contains it. */
const files = [...new Bun.Glob('test/**/*.test.ts').scanSync(ROOT)].filter((file) =>
  paths.some((p) => file.includes(relative(ROOT, resolve(ROOT, p)))),
)
const asks = (call: string | RegExp) =>
  files.some((file) => {
    const text = readFileSync(join(ROOT, file), 'utf8')
    return typeof call === 'string' ? text.includes(call) : call.test(text)
  })

/** A broker or cluster that scripts/kafka.sh runs from a state folder of this run's own. */
interface Kafka {
  /** The variable that hands it to the tests (test/kafka/broker.ts). */
  variable: 'KAFKA_BROKER_STATE_DIR' | 'KAFKA_CLUSTER_STATE_DIR'
  dir: string
  ready: Promise<void>
  stop(): Promise<void>
}

async function kafkaSh(verb: string[], env: Record<string, string>): Promise<{ code: number; err: string }> {
  const proc = Bun.spawn(['bash', KAFKA_SH, ...verb], {
    stdout: 'ignore',
    stderr: 'pipe',
    env: { ...process.env, ...env },
  })
  const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited])
  return { code, err }
}

function startKafka(variable: Kafka['variable'], dir: string, nodes: number): Kafka {
  const env = { KAFKA_STATE_DIR: dir, KAFKA_NODES: String(nodes) }
  const ready = kafkaSh(['start'], env).then(({ code, err }) => {
    if (code !== 0)
      throw new Error(`scripts/kafka.sh start (${nodes} node(s), for ${variable}) failed (${code}):\n${err}`)
    process.stderr.write(err)
  })
  ready.catch(() => {}) // awaited, and reported, once the checks are done
  return {
    variable,
    dir,
    ready,
    // Killed, not shut down: its data goes with it, and a cluster's controlled shutdown waits
    // out kafka.sh's 10 s once the quorum is gone. Then `stop` removes the state folder.
    stop: async () => {
      await ready.catch(() => {})
      const nodes = Array.from({ length: Number(env.KAFKA_NODES) }, (_, i) => String(i + 1))
      await Promise.all(nodes.map((n) => kafkaSh(['kill', n], env)))
      const stopped = await kafkaSh(['stop'], env)
      if (stopped.code !== 0) process.stderr.write(stopped.err)
    },
  }
}

/** Runs a command with our output; its exit code. */
async function step(command: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  return Bun.spawn(command, { cwd: ROOT, stdout: 'inherit', stderr: 'inherit', env }).exited
}

// What this script keeps outside the tests' TMPDIR, which must end empty, in a folder of its own
// beside it: the brokers' state and bun test's JUnit report.
const runDir = mkdtempSync(join(tmpdir(), 'opendt-replay-run-'))
const testTmp = mkdtempSync(join(tmpdir(), 'opendt-replay-test-'))
chmodSync(testTmp, 0o755) // others may pass through it, as through /tmp: some tests run the binary as nobody
const kafka: Kafka[] = []
if (!process.env.KAFKA_BROKERS && (asks('sharedBroker(') || asks('ensureBroker(')))
  kafka.push(startKafka('KAFKA_BROKER_STATE_DIR', join(runDir, 'broker'), 1))
if (asks('startCluster(')) kafka.push(startKafka('KAFKA_CLUSTER_STATE_DIR', join(runDir, 'cluster'), 3))

/**
 * scripts/tools.sh, in the background: resolves once Chromium and Prometheus are there (after its
 * lines, a version each, are printed), or rejects with its one line.
 */
function startTools(): Promise<void> {
  const proc = Bun.spawn(['bash', TOOLS_SH], { stdout: 'pipe', stderr: 'pipe' })
  const ready = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]).then(
    ([out, err, code]) => {
      if (code !== 0) throw new Error(`scripts/tools.sh failed (${code}): ${err.trim()}`)
      process.stderr.write(out)
    },
  )
  ready.catch(() => {}) // awaited, and reported, once the checks are done
  return ready
}
const tools = asks(/chromium|prometheus|promtool|puppeteer|playwright/i) ? startTools() : undefined

let cleaned: Promise<string[]> | undefined
/** Stops what this run started and empties its folders; the entries the tests left in TMPDIR. */
function cleanUp(): Promise<string[]> {
  cleaned ??= (async () => {
    await Promise.all(kafka.map((k) => k.stop()))
    rmSync(runDir, { recursive: true, force: true })
    const left = readdirSync(testTmp)
    rmSync(testTmp, { recursive: true, force: true })
    return left
  })()
  return cleaned
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    await cleanUp()
    process.exit(signal === 'SIGINT' ? 130 : 143)
  })
}

const failures: string[] = []
const times: string[] = []

if (checks) {
  const from = performance.now()
  for (const script of ['lint', 'typecheck', 'build']) {
    const code = await step([process.execPath, 'run', script])
    if (code !== 0) {
      failures.push(`bun run ${script} exited ${code}`)
      break
    }
  }
  times.push(`checks ${seconds(from)}`)
}

if (failures.length === 0 && tools) {
  const from = performance.now()
  await tools.catch((e: Error) => failures.push(e.message))
  times.push(`waiting for the tools ${seconds(from)}`)
}

if (failures.length === 0) {
  const from = performance.now()
  try {
    await Promise.all(kafka.map((k) => k.ready))
  } catch (e) {
    failures.push((e as Error).message)
  }
  if (kafka.length > 0) times.push(`waiting for Kafka ${seconds(from)}`)
}

if (failures.length === 0) {
  const from = performance.now()
  const env: Record<string, string | undefined> = { ...process.env, TMPDIR: testTmp }
  for (const k of kafka) env[k.variable] = k.dir
  const junit = join(runDir, 'junit.xml')
  const command = [
    process.execPath,
    'test',
    `--parallel=${WORKERS}`,
    `--timings=${join('test', 'timings.json')}`,
    '--reporter=junit',
    `--reporter-outfile=${junit}`,
    ...flags,
    ...paths,
  ]
  const code = await step(command, env)
  if (code !== 0) failures.push(`bun test exited ${code}`)
  times.push(`tests ${seconds(from)}`)
  const again = code !== 0 && existsSync(junit) ? failuresAgain(failedTests(readFileSync(junit, 'utf8'))) : ''
  if (again) console.error(again)
}

const from = performance.now()
const left = await cleanUp()
if (kafka.length > 0) times.push(`stopping Kafka ${seconds(from)}`)
if (left.length > 0) failures.push(`the tests left in their temp dir ${testTmp}: ${left.sort().join(', ')}`)
const outcome = failures.length === 0 ? 'passed' : 'FAILED'
console.error(
  `scripts/test.ts: ${outcome} in ${seconds(started)} (${times.join(', ')})${failures.map((f) => `; ${f}`).join('')}`,
)
process.exit(failures.length === 0 ? 0 : 1)
