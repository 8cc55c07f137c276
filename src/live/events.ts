import type { LiveFrame, LiveSource } from './status.ts'

/**
 * `/events`: server-sent events, one stream per client, each its own subscription to the source.
 * A stream opens with a frame carrying the whole history, then passes on each frame the source
 * delivers. Invariant: the server holds at most one frame per client. Each stream is a pull
 * stream with no queue (highWaterMark 0), and Bun pulls again only once the socket has taken the
 * previous chunk (it passes the socket's backpressure on to the stream, measured with Bun 1.4.4:
 * a client that stops reading stops the pulls after the kernel's socket buffers fill). A frame
 * that arrives while the client has not taken the previous one is dropped and counted; the
 * client is then behind, and the next pull sends it the whole history again with the status of
 * that moment, so that it is consistent again even if no frame ever follows (the run has ended).
 */

/** What the event streams have done so far, for tests and benchmarks. */
export interface EventStats {
  /** Streams open now. */
  streams: number
  /** Frames written to clients: the first of each stream, those passed on, and catch-ups. */
  sent: number
  /** Frames from the source that a client had not room for. */
  dropped: number
}

export interface EventStreams {
  /** A new stream, or null when `max` are open. */
  open(): ReadableStream<string> | null
  stats(): EventStats
  /** End every stream and its subscription. */
  close(): void
}

/** One frame as an event. JSON writes NaN (a position before the first acknowledgement) as null. */
const event = (frame: LiveFrame) => `event: frame\ndata: ${JSON.stringify(frame)}\n\n`

/** A comment line: it keeps proxies from closing a quiet stream, and finds clients that have gone. */
const HEARTBEAT = ': \n\n'

/** One open stream: `take` is set while its client waits for a chunk (the stream's pull is pending). */
interface Client {
  take: ((text: string) => void) | null
  /** A frame was dropped for it since it last took one. */
  behind: boolean
  /** A frame was written to it since the last heartbeat. */
  active: boolean
  /** End the stream from the server's side (stop). */
  close(): void
}

export function eventStreams(source: LiveSource, options: { max: number; heartbeatMs: number }): EventStreams {
  const stats = { sent: 0, dropped: 0 }
  const clients = new Set<Client>()
  // The source may hand every subscriber the same frame: write it as text once.
  const texts = new WeakMap<LiveFrame, string>()
  const textOf = (frame: LiveFrame) => {
    const text = texts.get(frame) ?? event(frame)
    texts.set(frame, text)
    return text
  }
  const whole = () => event({ status: source.status(), points: [], history: source.history() })

  // Only to a quiet client: a heartbeat takes the pull that a frame would otherwise find.
  const heartbeat = setInterval(() => {
    for (const client of clients) {
      if (!client.active) client.take?.(HEARTBEAT)
      client.active = false
    }
  }, options.heartbeatMs)
  heartbeat.unref()

  return {
    open() {
      if (clients.size >= options.max) return null
      let unsubscribe: (() => void) | undefined
      let controller: ReadableStreamDefaultController<string> | undefined
      /** Once, whichever side ends the stream first. */
      const end = () => {
        if (!clients.delete(client)) return false
        client.take = null
        unsubscribe?.()
        return true
      }
      const client: Client = {
        take: null,
        behind: false,
        active: true,
        close: () => end() && controller?.close(),
      }
      clients.add(client)
      return new ReadableStream<string>(
        {
          start(c) {
            controller = c
            c.enqueue(whole())
            stats.sent++
            unsubscribe = source.subscribe((frame) => {
              if (client.take) {
                client.take(textOf(frame))
                stats.sent++
              } else {
                stats.dropped++
                client.behind = true
              }
            })
          },
          pull(c) {
            if (client.behind) {
              client.behind = false
              c.enqueue(whole())
              stats.sent++
              return
            }
            return new Promise<void>((resolve) => {
              client.take = (text) => {
                client.take = null
                client.active = true
                c.enqueue(text)
                resolve()
              }
            })
          },
          cancel() {
            end()
          },
        },
        { highWaterMark: 0 },
      )
    },
    stats: () => ({ streams: clients.size, ...stats }),
    close() {
      clearInterval(heartbeat)
      for (const client of [...clients]) client.close()
    },
  }
}
