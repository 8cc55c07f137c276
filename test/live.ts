/**
 * Test support for the live view: a command started with `--http 0`, its URL read from stderr,
 * and `/events` read frame by frame until one is wanted (no polling, no sleeps).
 */
import type { Subprocess } from 'bun'
import type { LiveFrame, LiveStatus } from '../src/live/status.ts'

export interface LiveRun {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  /** The live view's URL (`http://127.0.0.1:PORT/`). */
  url: string
  /** stderr so far, and once the process has exited, all of it. */
  stderr(): string
  /** Resolves once stderr contains `text` (rejects if the process ends first). */
  stderrUntil(text: string): Promise<void>
  /** stdout, once the process has exited. */
  exited: Promise<{ code: number; stdout: string; stderr: string }>
}

/** Starts `argv` (the binary and its arguments, with `--http 0` or an address) and waits for its URL on stderr. */
export async function startLive(argv: string[], env: Record<string, string> = {}): Promise<LiveRun> {
  const proc = Bun.spawn(argv, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', env: { ...process.env, ...env } })
  const out = new Response(proc.stdout).text()
  const decoder = new TextDecoder()
  let err = ''
  const reader = proc.stderr.getReader()
  let url: string | undefined
  while (url === undefined) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`${argv.join(' ')} ended before its live view was up:\n${err}`)
    err += decoder.decode(value, { stream: true })
    url = /live view at (http:\/\/\S+)/.exec(err)?.[1]
  }
  const waiters: { text: string; resolve(): void; reject(e: Error): void }[] = []
  const settle = (ended: boolean) => {
    for (const w of [...waiters]) {
      if (err.includes(w.text)) w.resolve()
      else if (ended) w.reject(new Error(`stderr ended without "${w.text}":\n${err}`))
      else continue
      waiters.splice(waiters.indexOf(w), 1)
    }
  }
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return settle(true)
      err += decoder.decode(value, { stream: true })
      settle(false)
    }
  })()
  const exited = Promise.all([proc.exited, out, rest]).then(([code, stdout]) => ({ code, stdout, stderr: err }))
  const stderrUntil = (text: string) =>
    new Promise<void>((resolve, reject) => {
      waiters.push({ text, resolve, reject })
      settle(false)
    })
  return { proc, url, stderr: () => err, stderrUntil, exited }
}

/** Reads `/events` until a frame whose status `wanted` accepts; returns it (and closes the stream). */
export async function frameWhen(url: string, wanted: (status: LiveStatus) => boolean): Promise<LiveFrame> {
  const controller = new AbortController()
  const response = await fetch(new URL('events', url), { signal: controller.signal })
  if (response.status !== 200) throw new Error(`/events answered ${response.status}`)
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let buffered = ''
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) throw new Error('/events ended before the frame wanted')
      buffered += decoder.decode(value, { stream: true })
      let end = buffered.indexOf('\n\n')
      while (end >= 0) {
        const block = buffered.slice(0, end)
        buffered = buffered.slice(end + 2)
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n')
        if (data) {
          const frame = JSON.parse(data) as LiveFrame
          if (wanted(frame.status)) return frame
        }
        end = buffered.indexOf('\n\n')
      }
    }
  } finally {
    controller.abort()
  }
}

/** GET a path of the live view: status and text. */
export async function get(url: string, path: string): Promise<{ status: number; text: string; type: string | null }> {
  const r = await fetch(new URL(path, url))
  return { status: r.status, text: await r.text(), type: r.headers.get('content-type') }
}
