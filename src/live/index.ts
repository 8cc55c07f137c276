import { writeFileSync } from 'node:fs'
import { ReplayError } from '../errors.ts'
import { reasonOf } from '../trace/file.ts'
import type { LiveEdges } from './edges.ts'
import { metricsText } from './metrics.ts'
import { livePage } from './page.ts'
import { reportHtml } from './report.ts'
import { startLiveServer } from './server.ts'

/**
 * The live view's edges, as main.ts hands them to a command: its server (page, /status,
 * /metrics, /healthz, /events: live/server.ts) and its report writer. The page is rendered once.
 */
export const LIVE_EDGES: LiveEdges = {
  async serve(listen, source, labels) {
    const page = livePage()
    const server = await startLiveServer(listen, source, {
      page: () => page,
      metrics: () => metricsText(source.status(), source.latenessHistogram(), labels),
    })
    return { url: server.url, stop: () => server.stop() }
  },
  writeReport(path, source) {
    try {
      writeFileSync(path, reportHtml({ status: source.status(), history: source.history() }))
    } catch (cause) {
      throw new ReplayError('output-error', `--report: cannot write ${path}: ${reasonOf(cause)}`, { cause })
    }
  },
}
