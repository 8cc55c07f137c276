import { quote } from '../echo.ts'
import { badInput } from '../errors.ts'

/**
 * `--http [HOST:]PORT` (or its environment twin): where the live view listens. A port alone binds
 * 127.0.0.1, so that another host is only ever reached when the user names it.
 */

/** Where to listen, and how the user named the setting (`--http`, `OPENDT_REPLAY_HTTP`), for error lines. */
export interface Listen {
  /** A host name, an IPv4 address, or an IPv6 address without its brackets (`::1`). */
  host: string
  /** 0 to 65535; 0 lets the system pick a free port. */
  port: number
  name?: string
}

/** The host a port alone binds. */
export const DEFAULT_HOST = '127.0.0.1'

const PORT = /^\d{1,5}$/
/** A host name or an IPv4 address. */
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/
/** An IPv6 address (hex groups, `::`, an IPv4 tail), as written inside brackets. */
const IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/

/** `8080`, `0.0.0.0:8080`, `localhost:0`, `[::1]:8080` to a host and port; anything else is bad input. */
export function parseListen(text: string, name: string): Listen {
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(text)
  const split = text.lastIndexOf(':')
  const [host, port] = bracketed
    ? [bracketed[1]!, bracketed[2]!]
    : split < 0
      ? [DEFAULT_HOST, text]
      : [text.slice(0, split), text.slice(split + 1)]
  if (!bracketed && host.includes(':') && IPV6.test(host))
    throw badInput(`${name}: an IPv6 host goes in brackets, as in [::1]:8080, got ${quote(text)}`)
  if (!PORT.test(port) || !(bracketed ? IPV6 : HOST).test(host))
    throw badInput(`${name}: expected [HOST:]PORT with PORT 0 to 65535, got ${quote(text)}`)
  if (Number(port) > 65535) throw badInput(`${name}: port ${Number(port)} is beyond 65535, got ${quote(text)}`)
  return { host, port: Number(port), name }
}

/** `host:port` as a URL writes it: an IPv6 host in brackets. */
export const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`

/** The host this machine reaches a server at: one bound to every address (0.0.0.0, ::) over loopback. */
export const reachableHost = (host: string) => (host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host)
