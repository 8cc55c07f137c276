import type { Demand } from '../core/demand.ts'
import type { Host } from '../types.ts'

/**
 * The demand as one self-contained SVG (pure): per-minute max and mean of the CPU demand over
 * trace time (per 2^k minutes over long spans: demand.ts MAX_BUCKETS), the capacity when there is
 * one, and task submissions per hour underneath, on dated axes. A curve's point for bucket m and
 * demand v is at (x0 + m * sx, y0 - v * sy), with x0, sx, y0 and sy written on the curve as data
 * attributes, so a reader can take the values back. Its size follows the buckets, not the span.
 */
const WIDTH = 1200
const LEFT = 90
const RIGHT = 30
const PLOT = WIDTH - LEFT - RIGHT
const TOP = 50
const DEMAND_HEIGHT = 360
const GAP = 50
const BARS_HEIGHT = 120
const HEIGHT = TOP + DEMAND_HEIGHT + GAP + BARS_HEIGHT + 40
const DAY = 86_400_000
const HOUR = 3_600_000
const MINUTE = 60_000

/** A round step for about `target` ticks up to `max`: 1, 2 or 5 times a power of ten. */
function niceStep(max: number, target: number): number {
  const raw = max / target
  const power = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(3).replace(/0+$/, ''))
const mhzLabel = (x: number) => (x >= 1e6 ? `${fmt(x / 1e6)}M` : x >= 1e3 ? `${fmt(x / 1e3)}k` : fmt(x))
const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** A bucket's width in words: `minute`, `4-minute`, `2-hour`. */
const widthWords = (ms: number, unit: number, name: string) => (ms === unit ? name : `${ms / unit}-${name}`)

export function demandSvg(d: Demand, host: Host | null, title = 'CPU demand over trace time'): string {
  const buckets = d.bucketMean.length
  const top = Math.max(d.peak, d.capacity?.mhz ?? 0, 1) * 1.05
  const sx = PLOT / Math.max(buckets, 1)
  const sy = DEMAND_HEIGHT / top
  // x of an instant: buckets of d.bucketMs from d.bucketStart across the plot.
  const x = (bucket: number) => LEFT + bucket * sx
  const at = (t: number) => x((t - d.bucketStart) / d.bucketMs)
  const y0 = TOP + DEMAND_HEIGHT
  const series = (values: Float64Array) => Array.from(values, (v, m) => `${LEFT + m * sx},${y0 - v * sy}`).join(' ')
  const scale = `data-x0="${LEFT}" data-sx="${sx}" data-y0="${y0}" data-sy="${sy}"`
  const out: string[] = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${LEFT}" y="24" font-size="16" font-weight="bold">${xml(title)}${host ? xml(`, every task on ${host.cpus} x ${host.mhz} MHz`) : ''}</text>`,
    `<text x="${LEFT}" y="40" fill="#555">per-${widthWords(d.bucketMs, MINUTE, 'minute')} max (light) and mean (dark), MHz; peak ${xml(mhzLabel(d.peak))} MHz</text>`,
  )
  // Y axis of the demand, with gridlines.
  const step = niceStep(top, 6)
  for (let v = 0; v <= top; v += step) {
    const y = TOP + DEMAND_HEIGHT - v * sy
    out.push(
      `<line x1="${LEFT}" x2="${LEFT + PLOT}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${LEFT - 6}" y="${y + 4}" text-anchor="end">${mhzLabel(v)}</text>`,
    )
  }
  // Dated x axis: a tick at UTC midnight every day, or every few days (at most about 30 ticks).
  const end = d.bucketStart + buckets * d.bucketMs
  const every = Math.max(1, Math.ceil(niceStep((end - d.bucketStart) / DAY, 30))) * DAY
  const firstDay = Math.ceil(d.bucketStart / every) * every
  for (let t = firstDay; t <= end; t += every) {
    const px = at(t)
    const label = new Date(t).toISOString().slice(0, 10)
    out.push(
      `<line x1="${px}" x2="${px}" y1="${TOP}" y2="${TOP + DEMAND_HEIGHT + GAP + BARS_HEIGHT}" stroke="#e5e5e5"/>`,
      `<text x="${px}" y="${TOP + DEMAND_HEIGHT + 16}" text-anchor="middle">${label}</text>`,
    )
  }
  // The curves: per-bucket max, then mean over it.
  out.push(
    '<g fill="none" stroke-linejoin="round">',
    `<polyline id="demand-max" ${scale} points="${series(d.bucketMax)}" stroke="#9ecae1" stroke-width="1"/>`,
    `<polyline id="demand-mean" ${scale} points="${series(d.bucketMean)}" stroke="#08519c" stroke-width="1"/>`,
    '</g>',
  )
  if (d.capacity) {
    const y = TOP + DEMAND_HEIGHT - d.capacity.mhz * sy
    out.push(
      `<line id="capacity" x1="${LEFT}" x2="${LEFT + PLOT}" y1="${y}" y2="${y}" stroke="#d62728" stroke-dasharray="6 4"/>`,
      `<text x="${LEFT + PLOT - 4}" y="${y - 5}" text-anchor="end" fill="#d62728">capacity ${mhzLabel(d.capacity.mhz)} MHz</text>`,
    )
  }
  out.push(
    `<line x1="${LEFT}" x2="${LEFT + PLOT}" y1="${TOP + DEMAND_HEIGHT}" y2="${TOP + DEMAND_HEIGHT}" stroke="#333"/>`,
    `<line x1="${LEFT}" x2="${LEFT}" y1="${TOP}" y2="${TOP + DEMAND_HEIGHT}" stroke="#333"/>`,
    `<text x="18" y="${TOP + DEMAND_HEIGHT / 2}" transform="rotate(-90 18 ${TOP + DEMAND_HEIGHT / 2})" text-anchor="middle">demand, MHz</text>`,
  )
  // Submissions per hour (or per 2^k hours), as bars.
  const barsTop = TOP + DEMAND_HEIGHT + GAP
  const most = d.submissions.reduce((m, n) => Math.max(m, n), 1)
  const hourWidth = (d.submissionMs / d.bucketMs) * sx
  out.push(`<g id="submissions" fill="#6baed6">`)
  d.submissions.forEach((n, h) => {
    if (n === 0) return
    const height = (n / most) * BARS_HEIGHT
    const px = at(d.submissionStart + h * d.submissionMs)
    out.push(
      `<rect x="${px}" y="${barsTop + BARS_HEIGHT - height}" width="${Math.max(hourWidth - 0.5, 0.5)}" height="${height}"><title>${n}</title></rect>`,
    )
  })
  out.push(
    '</g>',
    `<line x1="${LEFT}" x2="${LEFT + PLOT}" y1="${barsTop + BARS_HEIGHT}" y2="${barsTop + BARS_HEIGHT}" stroke="#333"/>`,
    `<text x="${LEFT - 6}" y="${barsTop + 8}" text-anchor="end">${most}</text>`,
    `<text x="${LEFT - 6}" y="${barsTop + BARS_HEIGHT}" text-anchor="end">0</text>`,
    `<text x="${LEFT}" y="${barsTop - 6}" fill="#555">task submissions per ${widthWords(d.submissionMs, HOUR, 'hour')} (most: ${most})</text>`,
    `<text x="${LEFT + PLOT / 2}" y="${HEIGHT - 8}" text-anchor="middle">trace time (UTC)</text>`,
    '</svg>',
    '',
  )
  return out.join('\n')
}
