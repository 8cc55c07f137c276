import { afterEach, describe, expect, it } from 'bun:test'
import { connect, type Socket } from 'node:net'
import { ReplayError } from '../../src/errors.ts'
import { hostPort, parseListen, reachableHost } from '../../src/live/address.ts'
import { healthOf } from '../../src/live/health.ts'
import { type LiveServer, MAX_EVENT_STREAMS, startLiveServer } from '../../src/live/server.ts'
import type { LiveFrame, LiveHistory, LiveSource, LiveState, LiveStatus } from '../../src/live/status.ts'

/** A status as a replay would keep it, `overrides` applied. */
function statusOf(overrides: Partial<LiveStatus> = {}): LiveStatus {
  return {
    command: 'replay',
    version: '0.1.0',
    state: 'running',
    stalled: null,
    error: null,
    now: '2024-01-01T00:00:10.000Z',
    settings: {
      format: 'tasks-fragments',
      output: 'kafka',
      topics: { tasks: 'tasks', fragments: 'fragments' },
      speed: 'max',
      window: { from: '2022-10-07T00:00:00.000Z', to: null },
      shard: null,
      brokers: ['127.0.0.1:9092'],
      stallAfterSeconds: 30,
    },
    startedAt: '2024-01-01T00:00:00.000Z',
    elapsedSeconds: 10,
    trace: {
      from: '2022-10-07T00:00:00.000Z',
      to: '2022-10-14T00:00:00.000Z',
      acknowledged: null,
      acknowledgedSeconds: null,
      fraction: 0,
      etaSeconds: null,
    },
    topics: [],
    lateness: { messages: 0, p50Ms: 0, p99Ms: 0, maxMs: 0, currentMs: 0 },
    retries: 0,
    errors: 0,
    secondsSinceLastAcknowledgement: null,
    summary: null,
    ...overrides,
  }
}

const HISTORY: LiveHistory = {
  points: [
    { t: 0, position: Number.NaN, acknowledged: [0, 0], p50Ms: null, p99Ms: null, maxMs: null, currentMs: 0 },
    { t: 0.25, position: 1665100800, acknowledged: [3, 7], p50Ms: 1, p99Ms: 2, maxMs: 3, currentMs: 0 },
  ],
  demand: null,
}

/** A LiveSource the test drives: `push` hands a frame to every subscriber and makes its status the current one. */
function fakeSource(status = statusOf()) {
  const subscribers = new Set<(frame: LiveFrame) => void>()
  let unsubscribed: (() => void) | undefined
  const source = {
    current: status,
    subscribers,
    status: () => source.current,
    history: () => HISTORY,
    latenessHistogram: () => ({ counts: [], count: 0, sumMs: 0, maxMs: 0 }),
    subscribe(onFrame: (frame: LiveFrame) => void) {
      subscribers.add(onFrame)
      return () => {
        subscribers.delete(onFrame)
        unsubscribed?.()
      }
    },
    push(frame: LiveFrame) {
      source.current = frame.status
      for (const onFrame of subscribers) onFrame(frame)
    },
    /** Resolves at the next unsubscribe. */
    nextUnsubscribe: () => new Promise<void>((resolve) => (unsubscribed = resolve)),
  }
  return source satisfies LiveSource
}

const PAGE = '<!doctype html><title>live</title><p>é</p>'
const METRICS = '# TYPE opendt_replay_stalled gauge\nopendt_replay_stalled 0\n'
const PAGES = { page: () => PAGE, metrics: () => METRICS }

const servers: LiveServer[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop()
})
async function serve(source: LiveSource = fakeSource(), options: { heartbeatMs?: number } = {}) {
  const server = await startLiveServer({ host: '127.0.0.1', port: 0, name: '--http' }, source, PAGES, options)
  servers.push(server)
  return server
}

/** Reads server-sent events from a body: each event's name and data, or a comment. */
function eventReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffered = ''
  return {
    async next(): Promise<{ event?: string; data?: string; comment?: string }> {
      while (!buffered.includes('\n\n')) {
        const { value, done } = await reader.read()
        if (done) throw new Error(`stream ended with ${JSON.stringify(buffered)}`)
        buffered += decoder.decode(value, { stream: true })
      }
      const end = buffered.indexOf('\n\n')
      const block = buffered.slice(0, end)
      buffered = buffered.slice(end + 2)
      if (block.startsWith(':')) return { comment: block }
      const fields = Object.fromEntries(
        block.split('\n').map((line) => [line.split(': ')[0], line.slice(line.indexOf(': ') + 2)]),
      )
      return fields
    },
    async frame(): Promise<LiveFrame> {
      const next = await this.next()
      expect(next.event).toBe('frame')
      return JSON.parse(next.data!)
    },
    done: async () => (await reader.read()).done,
    cancel: () => reader.cancel(),
  }
}

/** JSON's view of a value: NaN as null. */
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value))

describe('parseListen', () => {
  it.each([
    ['8080', { host: '127.0.0.1', port: 8080 }],
    ['0', { host: '127.0.0.1', port: 0 }],
    ['65535', { host: '127.0.0.1', port: 65535 }],
    ['0.0.0.0:9464', { host: '0.0.0.0', port: 9464 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['replay.example-host.org:80', { host: 'replay.example-host.org', port: 80 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
    ['[::]:8080', { host: '::', port: 8080 }],
    ['[::ffff:127.0.0.1]:1', { host: '::ffff:127.0.0.1', port: 1 }],
  ])('%s', (text, listen) => expect(parseListen(text, '--http')).toEqual({ ...listen, name: '--http' }))

  it.each([
    '',
    'abc',
    'host:',
    ':80',
    ':',
    '80a',
    '-1',
    '+80',
    '8080 ',
    ' 8080',
    '123456',
    'a b:80',
    '[::1]',
    '[]:80',
    '[x]:80',
    '[::1]:',
    'host:80:81',
    'http://host:80',
    'host:0x50',
  ])('rejects "%s"', (text) => {
    expect(() => parseListen(text, '--http')).toThrow(
      new ReplayError('bad-input', `--http: expected [HOST:]PORT with PORT 0 to 65535, got "${text}"`),
    )
  })
  it.each(['65536', 'localhost:99999'])('rejects a port beyond 65535: %s', (text) => {
    expect(() => parseListen(text, '--http')).toThrow(
      `--http: port ${text.split(':').at(-1)} is beyond 65535, got "${text}"`,
    )
  })
  it.each(['::1:8080', '::1', 'fe80::1:80'])('asks for brackets around an IPv6 host: %s', (text) => {
    expect(() => parseListen(text, '--http')).toThrow(
      `--http: an IPv6 host goes in brackets, as in [::1]:8080, got "${text}"`,
    )
  })
  it('names the setting as the user gave it, as bad input (exit 2)', () => {
    let error: unknown
    try {
      parseListen('abc', 'OPENDT_REPLAY_HTTP')
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ReplayError)
    expect((error as ReplayError).exitCode).toBe(2)
    expect((error as ReplayError).message).toBe(
      'OPENDT_REPLAY_HTTP: expected [HOST:]PORT with PORT 0 to 65535, got "abc"',
    )
  })
  it('writes an IPv6 host in brackets', () => {
    expect(hostPort('::1', 80)).toBe('[::1]:80')
    expect(hostPort('127.0.0.1', 80)).toBe('127.0.0.1:80')
  })
  it('reaches a server bound to every address over loopback, any other at its own host', () => {
    expect(['0.0.0.0', '::', '127.0.0.1', '::1', 'dc-mock'].map(reachableHost)).toEqual([
      '127.0.0.1',
      '::1',
      '127.0.0.1',
      '::1',
      'dc-mock',
    ])
  })
})

describe('healthOf', () => {
  const at = (state: LiveState, stalledSeconds?: number, error: string | null = null) =>
    statusOf({
      state,
      error,
      stalled:
        stalledSeconds === undefined
          ? null
          : {
              reason: 'no acknowledgement from 127.0.0.1:9092',
              since: '2024-01-01T00:00:00.000Z',
              seconds: stalledSeconds,
            },
    })
  it.each([
    ['starting', undefined, 200],
    ['waiting', undefined, 200],
    ['running', undefined, 200],
    ['interrupted', undefined, 200],
    ['done', undefined, 200],
    ['stalled', 0, 200],
    ['stalled', 29.999, 200],
    ['stalled', 30, 503],
    ['stalled', 31, 503],
    ['failed', undefined, 503],
  ] as const)('%s, stalled %p s: %d', (state, seconds, code) => {
    const status = at(state, seconds)
    expect(healthOf(status)).toEqual({
      ok: code === 200,
      status: code,
      body: { state, stalled: status.stalled, error: null },
    })
  })
  it('follows --stall-after', () => {
    const status = at('stalled', 5)
    status.settings.stallAfterSeconds = 5
    expect(healthOf(status).status).toBe(503)
    status.settings.stallAfterSeconds = 5.5
    expect(healthOf(status).status).toBe(200)
  })
  it('carries the error line of a failure', () => {
    expect(healthOf(at('failed', undefined, 'Kafka lost mid-run')).body).toEqual({
      state: 'failed',
      stalled: null,
      error: 'Kafka lost mid-run',
    })
  })
})

describe('startLiveServer', () => {
  it('serves the page, the status, the metrics and the health check, with the security headers', async () => {
    const source = fakeSource(
      statusOf({ lateness: { messages: 0, p50Ms: Number.NaN, p99Ms: 0, maxMs: 0, currentMs: 0 } }),
    )
    const server = await serve(source)
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`)
    expect(server.port).toBeGreaterThan(0)

    const page = await fetch(server.url)
    expect([page.status, page.headers.get('content-type'), await page.text()]).toEqual([
      200,
      'text/html; charset=utf-8',
      PAGE,
    ])
    expect(page.headers.get('cache-control')).toBe('no-store')
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    )

    const status = await fetch(`${server.url}status`)
    expect(status.headers.get('content-type')).toBe('application/json')
    expect(await status.json()).toEqual(asJson(source.current))
    expect(await (await fetch(`${server.url}status?pretty`)).json()).toEqual(asJson(source.current))
    expect(asJson(source.current).lateness.p50Ms).toBeNull()

    const metrics = await fetch(`${server.url}metrics`)
    expect([metrics.status, metrics.headers.get('content-type'), await metrics.text()]).toEqual([
      200,
      'text/plain; version=0.0.4; charset=utf-8',
      METRICS,
    ])

    const healthy = await fetch(`${server.url}healthz`)
    expect([healthy.status, await healthy.json()]).toEqual([200, { state: 'running', stalled: null, error: null }])
    source.current = statusOf({ state: 'failed', error: 'Kafka lost mid-run' })
    const failed = await fetch(`${server.url}healthz`)
    expect([failed.status, await failed.json()]).toEqual([
      503,
      { state: 'failed', stalled: null, error: 'Kafka lost mid-run' },
    ])
    expect(failed.headers.get('cache-control')).toBe('no-store')
  })

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('answers %s with 405 and Allow', async (method) => {
    const server = await serve()
    for (const path of ['', 'status', 'metrics', 'healthz', 'events']) {
      const response = await fetch(`${server.url}${path}`, { method })
      expect([response.status, response.headers.get('allow'), await response.text()]).toEqual([
        405,
        'GET, HEAD',
        `method not allowed: ${method}\n`,
      ])
    }
    expect(server.stats().streams).toBe(0)
  })

  it('answers an unknown path with 404, whatever the method', async () => {
    const server = await serve()
    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/status/'],
      ['GET', '/index.html'],
      ['POST', '/nope'],
      ['HEAD', '/nope'],
      ['GET', `/${'x'.repeat(200)}`],
    ] as const) {
      const response = await fetch(`${server.url.slice(0, -1)}${path}`, { method })
      const shown = path.length > 100 ? `${path.slice(0, 100)}… (201 characters)` : path
      expect([response.status, await response.text()]).toEqual([404, method === 'HEAD' ? '' : `not found: ${shown}\n`])
    }
  })

  it('answers HEAD with the headers of GET and no body', async () => {
    const server = await serve()
    const head = await rawRequest(server.port, 'HEAD', '/')
    expect(head).toStartWith('HTTP/1.1 200 OK\r\n')
    expect(head).toEndWith('\r\n\r\n')
    expect(head.toLowerCase()).toContain(`content-length: ${Buffer.byteLength(PAGE)}\r\n`)
    expect(head.toLowerCase()).toContain('content-type: text/html; charset=utf-8\r\n')
    for (const path of ['status', 'metrics', 'healthz']) {
      const [get, response] = [
        await fetch(`${server.url}${path}`),
        await fetch(`${server.url}${path}`, { method: 'HEAD' }),
      ]
      expect([response.status, response.headers.get('content-type'), await response.text()]).toEqual([
        200,
        get.headers.get('content-type'),
        '',
      ])
      expect(response.headers.get('content-length')).toBe(String((await get.arrayBuffer()).byteLength))
    }
    const events = await fetch(`${server.url}events`, { method: 'HEAD' })
    expect([events.status, events.headers.get('content-type'), await events.text()]).toEqual([
      200,
      'text/event-stream',
      '',
    ])
    expect(server.stats().streams).toBe(0)
  })

  it('answers a page that fails to render with 500 and one line', async () => {
    const source = fakeSource()
    const server = await startLiveServer({ host: '127.0.0.1', port: 0 }, source, {
      page: () => {
        throw new Error('page not built')
      },
      metrics: () => METRICS,
    })
    servers.push(server)
    const response = await fetch(server.url)
    expect([response.status, await response.text()]).toEqual([500, 'internal error: page not built\n'])
  })

  it('streams the whole history first, then each frame, NaN as null', async () => {
    const source = fakeSource()
    const server = await serve(source)
    const response = await fetch(`${server.url}events`)
    expect([response.status, response.headers.get('content-type')]).toEqual([200, 'text/event-stream'])
    expect(response.headers.get('cache-control')).toBe('no-store')
    const events = eventReader(response.body!)
    expect(await events.frame()).toEqual(asJson({ status: source.current, points: [], history: HISTORY }))
    expect(server.stats()).toEqual({ streams: 1, sent: 1, dropped: 0 })
    expect(source.subscribers.size).toBe(1)

    for (let i = 1; i <= 3; i++) {
      const frame: LiveFrame = {
        status: statusOf({ now: `2024-01-01T00:00:1${i}.000Z`, error: `é ${i}` }),
        points: [
          { t: i, position: Number.NaN, acknowledged: [i, i], p50Ms: null, p99Ms: null, maxMs: null, currentMs: 0 },
        ],
      }
      source.push(frame)
      expect(await events.frame()).toEqual(asJson(frame))
    }
    expect(server.stats()).toEqual({ streams: 1, sent: 4, dropped: 0 })

    const gone = source.nextUnsubscribe()
    await events.cancel()
    await gone
    expect(source.subscribers.size).toBe(0)
    expect(server.stats()).toEqual({ streams: 0, sent: 4, dropped: 0 })
  })

  it('drops the frames a client has no room for, then sends it the whole history', async () => {
    const source = fakeSource()
    const server = await serve(source)
    const events = eventReader((await fetch(`${server.url}events`)).body!)
    await events.frame()
    // Three frames at once: the first takes the client's pull, the next two find none.
    for (let i = 1; i <= 3; i++) source.push({ status: statusOf({ now: `frame ${i}` }), points: [] })
    expect((await events.frame()).status.now).toBe('frame 1')
    expect(await events.frame()).toEqual(asJson({ status: statusOf({ now: 'frame 3' }), points: [], history: HISTORY }))
    expect(server.stats()).toEqual({ streams: 1, sent: 3, dropped: 2 })
  })

  it('holds a frame at most per client that stops reading, and catches it up when it reads again', async () => {
    const source = fakeSource()
    const server = await serve(source)
    const client = sseSocket(server.port)
    await client.frames(1)
    client.socket.pause()
    // Frames of 64 KiB until 500 have been dropped: the socket's buffers fill, then the pulls stop.
    const padding = 'x'.repeat(65_536)
    let pushed = 0
    while (server.stats().dropped < 500 && pushed < 2_000) {
      source.push({ status: statusOf({ now: `frame ${++pushed}`, error: padding }), points: [] })
      await new Promise((resolve) => setImmediate(resolve))
    }
    const held = server.stats()
    expect(held.dropped).toBe(500)
    // What was sent sits in the kernel's socket buffers (a few MB), not in a queue of ours.
    expect(held.sent * padding.length).toBeLessThan(32 * 1024 * 1024)

    client.socket.resume()
    const frames = await client.frames(held.sent + 1)
    const last = frames.at(-1)!
    expect(last.status.now).toBe(`frame ${pushed}`)
    expect(last.history).toEqual(asJson(HISTORY))
    const caughtUp = frames.slice(1).filter((frame) => frame.history).length
    expect(server.stats()).toEqual({ streams: 1, sent: frames.length, dropped: 500 })
    // Every frame pushed was either passed on or dropped.
    expect(frames.length - 1 - caughtUp + 500).toBe(pushed)
    client.socket.destroy()
  })

  it('keeps a quiet stream open with a heartbeat', async () => {
    const source = fakeSource()
    const server = await serve(source, { heartbeatMs: 20 })
    const events = eventReader((await fetch(`${server.url}events`)).body!)
    await events.frame()
    expect(await events.next()).toEqual({ comment: ': ' })
    expect(server.stats()).toEqual({ streams: 1, sent: 1, dropped: 0 })
  })

  it(`opens at most ${MAX_EVENT_STREAMS} event streams`, async () => {
    const source = fakeSource()
    const server = await serve(source)
    const open = await Promise.all(
      Array.from({ length: MAX_EVENT_STREAMS }, async () => {
        const aborter = new AbortController()
        const events = eventReader((await fetch(`${server.url}events`, { signal: aborter.signal })).body!)
        await events.frame()
        return { aborter, events }
      }),
    )
    expect(server.stats().streams).toBe(MAX_EVENT_STREAMS)
    const refused = await fetch(`${server.url}events`)
    expect([refused.status, await refused.text()]).toEqual([503, 'too many event streams (at most 16)\n'])

    const gone = source.nextUnsubscribe()
    open[0]!.aborter.abort()
    await gone
    expect(server.stats().streams).toBe(MAX_EVENT_STREAMS - 1)
    const again = eventReader((await fetch(`${server.url}events`)).body!)
    expect((await again.frame()).history).toEqual(asJson(HISTORY))
    expect(server.stats().streams).toBe(MAX_EVENT_STREAMS)

    await server.stop()
    servers.splice(0)
    expect(await again.done()).toBe(true)
    expect(server.stats().streams).toBe(0)
    expect(source.subscribers.size).toBe(0)
  })

  it('refuses an address in use, in one line (exit 2)', async () => {
    const server = await serve()
    for (const name of ['--http', 'OPENDT_REPLAY_HTTP']) {
      const taken = startLiveServer({ host: '127.0.0.1', port: server.port, name }, fakeSource(), PAGES)
      await expect(taken).rejects.toThrow(
        new ReplayError('bad-input', `${name} 127.0.0.1:${server.port}: address in use`),
      )
    }
  })

  it('refuses a host name that does not resolve', async () => {
    // .invalid never resolves (RFC 6761).
    await expect(
      startLiveServer(parseListen('nosuchhost.invalid:8080', '--http'), fakeSource(), PAGES),
    ).rejects.toThrow(new ReplayError('bad-input', '--http nosuchhost.invalid:8080: no such host'))
  })

  it('refuses an address this machine does not have', async () => {
    // 192.0.2.0/24 is for documentation (RFC 5737): no machine has it.
    await expect(startLiveServer(parseListen('192.0.2.1:8080', '--http'), fakeSource(), PAGES)).rejects.toThrow(
      new ReplayError('bad-input', '--http 192.0.2.1:8080: address not available on this machine'),
    )
  })
})

/** A raw HTTP/1.1 request: the response as bytes arrived, until the server closes. */
function rawRequest(port: number, method: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let out = ''
    socket.on('data', (data) => (out += data))
    socket.on('error', reject)
    socket.on('close', () => resolve(out))
    socket.write(`${method} ${path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`)
  })
}

/**
 * `/events` over a raw socket, so that the test decides when it reads (fetch's body may read
 * ahead). `frames(n)` resolves once n frames have arrived in all, with all of them.
 */
function sseSocket(port: number): { socket: Socket; frames(n: number): Promise<LiveFrame[]> } {
  const socket = connect(port, '127.0.0.1')
  socket.write('GET /events HTTP/1.1\r\nHost: test\r\n\r\n')
  let raw = Buffer.alloc(0)
  let headers = true
  let body = ''
  const frames: LiveFrame[] = []
  let waiting: { n: number; resolve: (frames: LiveFrame[]) => void } | undefined
  const FRAME = 'event: frame\ndata: '
  socket.on('data', (data: Buffer) => {
    raw = Buffer.concat([raw, data])
    if (headers) {
      const end = raw.indexOf('\r\n\r\n')
      if (end < 0) return
      expect(raw.subarray(0, end).toString()).toStartWith('HTTP/1.1 200 OK\r\n')
      raw = raw.subarray(end + 4)
      headers = false
    }
    // The body's chunked transfer coding: a size line in hex, the bytes, CRLF.
    for (let line = raw.indexOf('\r\n'); line >= 0; line = raw.indexOf('\r\n')) {
      const size = Number.parseInt(raw.subarray(0, line).toString(), 16)
      if (raw.length < line + 2 + size + 2) break
      body += raw.subarray(line + 2, line + 2 + size).toString()
      raw = raw.subarray(line + 2 + size + 2)
    }
    for (let end = body.indexOf('\n\n'); end >= 0; end = body.indexOf('\n\n')) {
      const block = body.slice(0, end)
      body = body.slice(end + 2)
      expect(block).toStartWith(FRAME)
      frames.push(JSON.parse(block.slice(FRAME.length)))
    }
    if (waiting && frames.length >= waiting.n) waiting.resolve(frames)
  })
  return {
    socket,
    frames: (n) =>
      new Promise((resolve) => {
        if (frames.length >= n) resolve(frames)
        else waiting = { n, resolve }
      }),
  }
}
