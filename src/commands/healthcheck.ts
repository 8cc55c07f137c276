import type { HealthcheckArgs } from '../cli/flags.ts'
import { parseDuration } from '../core/flag-values.ts'
import { badInput, EXIT_CODES } from '../errors.ts'
import { hostPort, parseListen, reachableHost } from '../live/address.ts'

/** Why a request got no answer, in words: Bun's error code (`ECONNREFUSED`), not its generic message. */
function whyNoAnswer(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; code?: string; message?: string }
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`
  if (e.code === 'ECONNREFUSED' || e.code === 'ConnectionRefused') return 'connection refused (nothing listens there)'
  return e.code ? `${e.code}: ${e.message}` : String(e.message ?? error)
}

/**
 * `opendt-replay healthcheck`: GET /healthz of the replay's live view (its --http, or the same
 * OPENDT_REPLAY_HTTP) and exit 0 on 200, 1 otherwise, with the answer in one line on stdout. It is
 * the health check of an image without curl (deploy/opendt's compose override).
 */
export async function healthcheckCommand(
  args: HealthcheckArgs,
  edges: { fetch: typeof fetch; stdout(text: string): void; name(flag: string): string },
): Promise<number> {
  if (args.http === undefined) {
    throw badInput('healthcheck needs the address of the live view: --http [HOST:]PORT or OPENDT_REPLAY_HTTP')
  }
  const listen = parseListen(args.http, edges.name('http'))
  if (listen.port === 0) throw badInput(`${edges.name('http')}: port 0 names no server: give the replay's port`)
  const timeoutMs = parseDuration(edges.name('timeout'), args.timeout ?? '5s')
  if (timeoutMs <= 0) throw badInput(`${edges.name('timeout')}: must be longer than 0, got "${args.timeout}"`)
  const url = `http://${hostPort(reachableHost(listen.host), listen.port)}/healthz`
  let answer: Response
  try {
    answer = await edges.fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  } catch (error) {
    edges.stdout(`unhealthy: no answer from ${url}: ${whyNoAnswer(error, timeoutMs)}\n`)
    return EXIT_CODES.unhealthy
  }
  // One line, whatever answered: its whitespace folded, at most 300 characters.
  const text = await answer.text()
  const body = text.replace(/\s+/g, ' ').trim().slice(0, 300)
  const ours = isHealth(text)
  const healthy = answer.status === 200 && ours
  const what = ours ? body : `not opendt-replay's /healthz: ${body}`
  edges.stdout(`${healthy ? 'healthy' : 'unhealthy'}: ${answer.status} ${what}\n`)
  return healthy ? EXIT_CODES.completed : EXIT_CODES.unhealthy
}

/** Whether a body is live/health.ts's: JSON with a `state`. */
function isHealth(text: string): boolean {
  try {
    return typeof (JSON.parse(text) as { state?: unknown }).state === 'string'
  } catch {
    return false
  }
}
