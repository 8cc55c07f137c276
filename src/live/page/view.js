/**
 * The live page's script: a classic script, inlined after uPlot's (which defines the global
 * `uPlot`). It reads LiveFrames (src/live/status.ts): from `events` (server-sent events, same
 * origin) on the live page, or from the `#snapshot` JSON block of a report, which makes no
 * request at all. Each frame's status is drawn whole; its points extend the charts' history, which
 * stays at most MAX_POINTS long by keeping every other point (the newest always kept).
 */
;(() => {
  const MAX_POINTS = 5000
  const ENDED = new Set(['interrupted', 'done', 'failed'])
  const COLORS = ['#2f6fdb', '#d2541c', '#1f8a4c', '#8a3ffc', '#b07d00', '#c0262d']
  const CHART_HEIGHT = 200

  const $ = (selector, root = document) => root.querySelector(selector)

  // Figures as text. Counts keep every digit, grouped by narrow no-break spaces; the exact
  // value is in data-value.
  function grouped(n, digits = 0) {
    if (!Number.isFinite(n)) return '?'
    const [whole, fraction] = n.toFixed(digits).split('.')
    return whole.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f') + (fraction ? `.${fraction}` : '')
  }

  /** `1h 02m`, `3m 05s`, `12s`: core/text.ts's formatDuration, from seconds. */
  function duration(seconds) {
    if (!Number.isFinite(seconds)) return '?'
    const s = Math.max(0, Math.round(seconds))
    const h = Math.floor(s / 3600)
    const m = Math.floor((s % 3600) / 60)
    if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`
    if (m > 0) return `${m}m ${String(s % 60).padStart(2, '0')}s`
    return `${s}s`
  }

  const ms = (x) => (x < 1000 ? `${grouped(x, 1)} ms` : `${grouped(x / 1000, 2)} s`)

  function bytes(n) {
    const units = ['B', 'KB', 'MB', 'GB', 'TB']
    let i = 0
    while (n >= 1000 && i < units.length - 1) [n, i] = [n / 1000, i + 1]
    return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`
  }

  /** A figure: its exact value in data-value ('' for none), and its text. */
  function show(el, value, text) {
    el.dataset.value = value === null || value === undefined ? '' : String(value)
    el.textContent = text
  }

  const sum = (topics, field) => topics.reduce((total, t) => total + t[field], 0)

  function renderState(s) {
    const el = $('#state')
    el.textContent = s.state
    el.dataset.state = s.state
    let detail = ''
    if (s.state === 'stalled' && s.stalled) {
      detail = `${duration(s.stalled.seconds)}: ${s.stalled.reason}, since ${s.stalled.since}`
    } else if ((s.state === 'failed' || s.state === 'interrupted') && s.error) {
      detail = s.error
    } else if (s.state === 'waiting') {
      detail = 'for the start time (--start-at)'
    }
    $('#state-detail').textContent = detail
    $('#command').textContent = s.command
    $('#sent-header').textContent = s.command === 'verify' ? 'read' : 'sent'
    $('#version').textContent = s.version
    document.title = `${s.state} · opendt-replay ${s.command}`
  }

  function renderTrace(s) {
    const t = s.trace
    show($('#trace-from'), t.from, t.from ?? '?')
    show($('#trace-to'), t.to, t.to ?? '?')
    show($('#trace-acknowledged'), t.acknowledged, t.acknowledged ?? 'nothing yet')
    show($('#fraction'), t.fraction, `${grouped(t.fraction * 100, 1)} %`)
    const eta =
      t.etaSeconds === null ? (s.state === 'stalled' ? 'unknown while stalled' : 'unknown') : duration(t.etaSeconds)
    show($('#eta'), t.etaSeconds, eta)
    const percent = `${Math.min(100, Math.max(0, t.fraction * 100))}%`
    $('#timeline-done').style.width = percent
    $('#timeline-cursor').style.left = percent
  }

  function renderSummary(s) {
    const field = (name) => $(`#summary [data-field="${name}"]`)
    const totals = { sent: sum(s.topics, 'sent'), acknowledged: sum(s.topics, 'acknowledged') }
    show(field('elapsed'), s.elapsedSeconds, duration(s.elapsedSeconds))
    show(field('sent'), totals.sent, grouped(totals.sent))
    show(field('acknowledged'), totals.acknowledged, grouped(totals.acknowledged))
    const b = sum(s.topics, 'bytesAcknowledged')
    show(field('bytesAcknowledged'), b, grouped(b))
    field('bytesAcknowledged').title = bytes(b)
    show(field('retries'), s.retries, grouped(s.retries))
    show(field('errors'), s.errors, grouped(s.errors))
    const since = s.secondsSinceLastAcknowledgement
    show(field('sinceLastAcknowledgement'), since, since === null ? 'none yet' : `${duration(since)} ago`)
  }

  const CHECKS = ['expected', 'matched', 'missing', 'duplicated', 'changed', 'foreign']

  function topicRow(topic) {
    const tr = document.createElement('tr')
    tr.dataset.topic = topic.stream
    for (const name of ['stream', 'topic', 'sent', 'acked', 'bytes', 'rate', ...CHECKS]) {
      const td = tr.insertCell()
      td.className =
        name === 'stream' || name === 'topic' ? name : CHECKS.includes(name) ? `n check ${name}` : `n ${name}`
    }
    return tr
  }

  function renderTopics(topics) {
    const body = $('#topics tbody')
    const key = topics.map((t) => t.stream).join('\n')
    if (body.dataset.key !== key) {
      body.replaceChildren(...topics.map(topicRow))
      body.dataset.key = key
    }
    $('#topics').classList.toggle(
      'verify',
      topics.some((t) => t.check),
    )
    topics.forEach((t, i) => {
      const row = body.rows[i]
      $('.stream', row).textContent = t.stream
      $('.topic', row).textContent = t.topic
      show($('.sent', row), t.sent, grouped(t.sent))
      show($('.acked', row), t.acknowledged, grouped(t.acknowledged))
      show($('.bytes', row), t.bytesAcknowledged, grouped(t.bytesAcknowledged))
      $('.bytes', row).title = bytes(t.bytesAcknowledged)
      show($('.rate', row), t.ratePerSecond, grouped(t.ratePerSecond, 1))
      for (const name of CHECKS) {
        const value = t.check ? t.check[name] : null
        show($(`.${name}`, row), value, value === null ? '' : grouped(value))
      }
    })
  }

  function renderLateness(l) {
    const root = $('#lateness')
    show($('.messages', root), l.messages, grouped(l.messages))
    for (const [name, value] of [
      ['p50', l.p50Ms],
      ['p99', l.p99Ms],
      ['max', l.maxMs],
      ['current', l.currentMs],
    ]) {
      show($(`.${name}`, root), value, ms(value))
    }
  }

  function renderSettings(s) {
    const set = (name, value, text) => show($(`#settings [data-setting="${name}"]`), value, text)
    const c = s.settings
    set('format', c.format, c.format)
    set('output', c.output, c.output)
    const topics = Object.entries(c.topics).map(([stream, topic]) => `${stream} → ${topic}`)
    set('topics', topics.join(', '), topics.join(', '))
    set('speed', c.speed, c.speed === 'max' ? 'max' : `${c.speed}x`)
    const window = c.window ? `${c.window.from} to ${c.window.to ?? "the trace's end"}` : 'not known yet'
    set('window', window, window)
    set('shard', c.shard, c.shard ?? 'none')
    const brokers = c.brokers ? c.brokers.join(', ') : 'none (stdout)'
    set('brokers', brokers, brokers)
    set('stallAfter', c.stallAfterSeconds, `${c.stallAfterSeconds}s`)
  }

  function renderEnd(s) {
    $('#ended').hidden = s.summary === null || s.summary === undefined
    $('#final-summary').textContent = $('#ended').hidden ? '' : JSON.stringify(s.summary, null, 2)
    show($('#taken'), s.now, s.now)
  }

  // Charts. Each is rebuilt when its series change (another set of topics), else given new data.
  const charts = {}
  let cursorAt = null

  function draw(id, key, options, data) {
    const el = document.getElementById(id)
    el.dataset.points = String(data[0].length)
    const chart = charts[id]
    if (chart && chart.key === key) return chart.plot.setData(data)
    if (chart) chart.plot.destroy()
    const size = { width: el.clientWidth || 800, height: CHART_HEIGHT }
    charts[id] = { key, plot: new uPlot({ ...size, ...options }, data, el) }
  }

  /** Wall-time ticks at round durations, far enough apart for their labels. */
  const WALL_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
  const wallAxis = { space: 70, incrs: WALL_STEPS, values: (_, splits) => splits.map((v) => duration(v)) }
  /** Trace-time ticks as UTC `MM-DD HH:MM`, the trace's own zone, whatever the browser's. */
  const traceAxis = {
    space: 90,
    values: (_, splits) => splits.map((v) => new Date(v * 1000).toISOString().slice(5, 16).replace('T', ' ')),
  }
  const wallSeries = { label: 'wall time', value: (_, v) => (v === null ? '' : duration(v)) }
  const line = (label, i, extra = {}) => ({ label, stroke: COLORS[i % COLORS.length], width: 1.5, ...extra })

  function compact(v) {
    const a = Math.abs(v)
    if (a >= 1e6) return `${+(v / 1e6).toFixed(2)}M`
    if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`
    return String(+v.toFixed(2))
  }

  /** Acknowledged per second, per topic: the difference of two points over their time. */
  function drawRates(topics, pts) {
    const t = pts.map((p) => p.t)
    const series = topics.map((_, k) =>
      pts.map((p, i) => {
        const before = pts[i - 1]
        if (!before || p.t <= before.t) return null
        return (p.acknowledged[k] - before.acknowledged[k]) / (p.t - before.t)
      }),
    )
    draw(
      'rate-chart',
      topics.map((x) => x.stream).join('\n'),
      {
        title: 'acknowledged per second',
        scales: { x: { time: false } },
        axes: [wallAxis, { values: (_, splits) => splits.map(compact), size: 60 }],
        series: [wallSeries, ...topics.map((x, k) => line(x.stream, k))],
      },
      [t, ...series],
    )
  }

  function drawLateness(pts) {
    const column = (name) => pts.map((p) => p[name])
    draw(
      'lateness-chart',
      'lateness',
      {
        title: 'lateness, ms',
        scales: { x: { time: false } },
        axes: [wallAxis, { values: (_, splits) => splits.map(compact), size: 60 }],
        series: [
          wallSeries,
          line('p50', 0),
          line('p99', 1),
          line('max', 5, { dash: [4, 3] }),
          line('now', 2, { spanGaps: true }),
        ],
      },
      [pts.map((p) => p.t), column('p50Ms'), column('p99Ms'), column('maxMs'), column('currentMs')],
    )
  }

  /** A vertical line at the acknowledged position (uPlot's draw hook, in canvas pixels). */
  function drawCursor(u) {
    if (cursorAt === null) return
    const x = u.valToPos(cursorAt, 'x', true)
    if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return
    const ctx = u.ctx
    ctx.save()
    ctx.strokeStyle = '#1d2330'
    ctx.lineWidth = 2 * devicePixelRatio
    ctx.beginPath()
    ctx.moveTo(x, u.bbox.top)
    ctx.lineTo(x, u.bbox.top + u.bbox.height)
    ctx.stroke()
    ctx.restore()
  }

  let drawnDemand = null

  function drawDemand(demand, s) {
    cursorAt = s.trace.acknowledgedSeconds
    const el = $('#demand-chart')
    el.dataset.cursor = cursorAt === null ? '' : String(cursorAt)
    const capacity = $('#demand-capacity')
    if (!demand) {
      if (charts['demand-chart']) charts['demand-chart'].plot.destroy()
      delete charts['demand-chart']
      drawnDemand = null
      el.dataset.points = '0'
      return show(capacity, null, 'no demand known yet')
    }
    const c = demand.capacity
    show(capacity, c ? c.mhz : null, c ? `capacity ${grouped(c.mhz)} MHz (${c.source})` : 'capacity unknown')
    if (demand === drawnDemand) return charts['demand-chart'].plot.redraw(false)
    drawnDemand = demand
    const received = Array.isArray(demand.received)
    const series = [
      { label: 'trace time' },
      line('mean', 0, { fill: 'rgba(47, 111, 219, 0.12)' }),
      line('max', 0, { dash: [4, 3], width: 1 }),
    ]
    const data = [demand.t, demand.mean, demand.max]
    if (c) {
      series.push(line('capacity', 5, { width: 2 }))
      data.push(demand.t.map(() => c.mhz))
    }
    if (received) {
      series.push(line('received', 2))
      data.push(demand.received)
    }
    draw(
      'demand-chart',
      `${c ? 'capacity' : ''} ${received ? 'received' : ''}`,
      {
        title: 'CPU demand, MHz (trace time, UTC; the line: acknowledged so far)',
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
        // From zero, so that the gap to the capacity reads as it is.
        scales: { y: { range: (_, __, max) => [0, Math.max(max, c ? c.mhz : 0) * 1.05 || 1] } },
        axes: [traceAxis, { values: (_, splits) => splits.map(compact), size: 60 }],
        series,
        hooks: { draw: [drawCursor] },
      },
      data,
    )
  }

  // The history the charts draw, bounded.
  let points = []
  let demand = null

  function thin(list) {
    const last = list.length - 1
    return list.filter((_, i) => (last - i) % 2 === 0)
  }

  /**
   * The figures on every frame; the charts at most once a second (and at once when the history
   * comes whole or the run ends). Nothing while the tab is hidden. Measured with three pages on a
   * replay at 1000x (scripts/bench-live.ts): redrawing every chart 4 times a second took the
   * browsers most of a core, which the replay's workers then waited for.
   */
  const CHARTS_EVERY_MS = 1000
  let chartsAt = Number.NEGATIVE_INFINITY
  let latest = null

  function render(force) {
    const s = latest.status
    renderState(s)
    renderTrace(s)
    renderSummary(s)
    renderTopics(s.topics)
    renderLateness(s.lateness)
    renderSettings(s)
    renderEnd(s)
    const now = performance.now()
    if (!force && now - chartsAt < CHARTS_EVERY_MS) return
    chartsAt = now
    drawRates(s.topics, points)
    drawLateness(points)
    drawDemand(demand, s)
  }

  function take(frame) {
    if (frame.history) {
      points = frame.history.points.slice()
      demand = frame.history.demand
    } else {
      for (const p of frame.points) points.push(p)
    }
    // verify: the buckets of the demand received that changed since the last frame.
    if (frame.received && demand && Array.isArray(demand.received)) {
      frame.received.values.forEach((v, i) => {
        demand.received[frame.received.from + i] = v
      })
    }
    while (points.length > MAX_POINTS) points = thin(points)
    // What the charts hold, even between their redraws.
    for (const id of ['rate-chart', 'lateness-chart'])
      document.getElementById(id).dataset.points = String(points.length)
    latest = frame
    if (!document.hidden) render(Boolean(frame.history) || ENDED.has(frame.status.state))
  }

  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && latest) render(true)
  })

  const connection = (text) => {
    $('#connection').textContent = text
  }

  addEventListener('resize', () => {
    for (const [id, chart] of Object.entries(charts)) {
      chart.plot.setSize({ width: document.getElementById(id).clientWidth, height: CHART_HEIGHT })
    }
  })

  const snapshot = document.getElementById('snapshot')
  if (snapshot) {
    connection('report')
    const { status, history } = JSON.parse(snapshot.textContent)
    take({ status, points: [], history })
  } else {
    // Relative, so that the page also works behind a proxy that serves it under a path.
    const events = new EventSource('events')
    events.addEventListener('open', () => connection('live'))
    events.addEventListener('error', () =>
      connection(events.readyState === EventSource.CLOSED ? 'ended' : 'reconnecting'),
    )
    events.addEventListener('frame', (event) => {
      const frame = JSON.parse(event.data)
      take(frame)
      if (ENDED.has(frame.status.state)) {
        events.close()
        connection('ended')
      }
    })
  }
})()
