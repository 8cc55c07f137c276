import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { clip } from '../echo.ts'
import { badInput } from '../errors.ts'
import { hostPort, type Listen, reachableHost } from './address.ts'
import { type EventStats, eventStreams } from './events.ts'
import { healthOf } from './health.ts'
import type { LiveSource } from './status.ts'

/**
 * The live view's HTTP edge (`--http`): the page, `/status`, `/metrics`, `/healthz` and `/events`
 * over one LiveSource, whichever command keeps it (a replay, dc-mock, verify --follow). GET and
 * HEAD only; it reads the source and never changes it. It runs on the main thread (Bun.serve).
 */

/** What the server serves that others render: the page, and the Prometheus text. */
export interface LivePages {
  page(): string | Uint8Array
  metrics(): string
}

export interface LiveServer {
  /** Where a browser on this machine opens the page: `http://127.0.0.1:PORT/`. */
  url: string
  /** The port it listens on (the one the system picked for port 0). */
  port: number
  /** The event streams' counts: open now, frames sent, frames dropped for slow clients. */
  stats(): EventStats
  /** Close every connection, end every event stream and its subscription. */
  stop(): Promise<void>
}

/** At most this many `/events` streams at once; one more gets 503. */
export const MAX_EVENT_STREAMS = 16

/** How long `stop` waits for the clients to take what their streams hold. */
const STOP_GRACE_MS = 1_000

/** A quiet event stream gets a comment line this often. */
const HEARTBEAT_MS = 15_000

/**
 * On every response: never cached, never sniffed, never framed, no referrer. The page is
 * self-contained (its scripts and styles inline), and may reach only this server (`/events`).
 */
const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
} as const

const HTML = 'text/html; charset=utf-8'
const JSON_TYPE = 'application/json'
const TEXT = 'text/plain; charset=utf-8'
/** Prometheus's text exposition format, version 0.0.4. */
const PROMETHEUS = 'text/plain; version=0.0.4; charset=utf-8'
const EVENTS = 'text/event-stream'

interface Reply {
  status: number
  type: string
  body: string | Uint8Array
  headers?: Record<string, string>
}

const text = (status: number, body: string, headers?: Record<string, string>): Reply => ({
  status,
  type: TEXT,
  body: `${body}\n`,
  headers,
})

/** A reply as a response; HEAD gets the same headers, with the length GET's body would have. */
function respond(reply: Reply, head: boolean): Response {
  const length = typeof reply.body === 'string' ? Buffer.byteLength(reply.body) : reply.body.byteLength
  const headers = { ...SECURITY_HEADERS, 'content-type': reply.type, ...reply.headers }
  if (!head) return new Response(reply.body as BodyInit, { status: reply.status, headers })
  return new Response(null, { status: reply.status, headers: { ...headers, 'content-length': String(length) } })
}

/** `--http 127.0.0.1:8080: address in use`: why Bun.serve could not listen, in one line. */
function listenError(listen: Listen, error: unknown) {
  const where = `${listen.name ?? '--http'} ${hostPort(listen.host, listen.port)}`
  const code = (error as { code?: string })?.code
  if (code === 'EADDRINUSE') return badInput(`${where}: address in use`, error)
  if (code === 'EADDRNOTAVAIL') return badInput(`${where}: address not available on this machine`, error)
  if (code === 'EACCES') return badInput(`${where}: permission denied (a port below 1024 needs privileges)`, error)
  return badInput(`${where}: cannot listen: ${(error as Error)?.message ?? String(error)}`, error)
}

/** The URL a browser on this machine opens: a wildcard address is reached over loopback. */
const urlOf = (host: string, port: number) => `http://${hostPort(reachableHost(host), port)}/`

/**
 * Listen on `listen` and serve `source`. Throws bad input (one line) when the address cannot be
 * taken, before the caller sends anything. `options` are for tests.
 */
export async function startLiveServer(
  listen: Listen,
  source: LiveSource,
  pages: LivePages,
  options: { heartbeatMs?: number } = {},
): Promise<LiveServer> {
  const events = eventStreams(source, { max: MAX_EVENT_STREAMS, heartbeatMs: options.heartbeatMs ?? HEARTBEAT_MS })
  const routes: Record<string, () => Reply> = {
    '/': () => ({ status: 200, type: HTML, body: pages.page() }),
    '/status': () => ({ status: 200, type: JSON_TYPE, body: JSON.stringify(source.status()) }),
    '/metrics': () => ({ status: 200, type: PROMETHEUS, body: pages.metrics() }),
    '/healthz': () => {
      const health = healthOf(source.status())
      return { status: health.status, type: JSON_TYPE, body: JSON.stringify(health.body) }
    },
  }
  // A name that does not resolve: Bun's own error for it is "ENOENT: no such file or directory".
  if (isIP(listen.host) === 0) {
    await lookup(listen.host).catch((error: unknown) => {
      throw badInput(`${listen.name ?? '--http'} ${hostPort(listen.host, listen.port)}: no such host`, error)
    })
  }
  let server: ReturnType<typeof Bun.serve>
  try {
    server = Bun.serve({
      hostname: listen.host,
      port: listen.port,
      // Never Bun's HTML error page with a stack: `error` below answers in one line.
      development: false,
      // Bun's production mode otherwise sets SO_REUSEPORT (measured, Bun 1.4.4): a second replay
      // on the same port would then share it silently instead of failing with "address in use".
      reusePort: false,
      fetch(request, server) {
        const path = new URL(request.url).pathname
        const head = request.method === 'HEAD'
        if (!Object.hasOwn(routes, path) && path !== '/events')
          return respond(text(404, `not found: ${clip(path)}`), head)
        if (request.method !== 'GET' && !head)
          return respond(text(405, `method not allowed: ${request.method}`, { allow: 'GET, HEAD' }), head)
        if (path !== '/events') return respond(routes[path]!(), head)
        if (head) return new Response(null, { headers: { ...SECURITY_HEADERS, 'content-type': EVENTS } })
        const stream = events.open()
        if (!stream) return respond(text(503, `too many event streams (at most ${MAX_EVENT_STREAMS})`), false)
        // A stream may stay quiet (a stall, a run that has ended): Bun's idle timeout must not cut it.
        server.timeout(request, 0)
        return new Response(stream, { headers: { ...SECURITY_HEADERS, 'content-type': EVENTS } })
      },
      error: (error) => respond(text(500, `internal error: ${error.message}`), false),
    })
  } catch (error) {
    events.close()
    throw listenError(listen, error)
  }
  const port = server.port ?? listen.port
  return {
    url: urlOf(listen.host, port),
    port,
    stats: events.stats,
    async stop() {
      events.close()
      // The streams just ended still send what they hold (the run's last frame); a client that
      // does not read is cut after STOP_GRACE_MS.
      const cut = setTimeout(() => server.stop(true), STOP_GRACE_MS)
      await server.stop(false)
      clearTimeout(cut)
    },
  }
}
