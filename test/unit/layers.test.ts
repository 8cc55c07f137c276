import { describe, expect, it } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { OUTPUTS } from '../../src/outputs/index.ts'
import { ROOT } from '../helpers.ts'

/**
 * The layers hold: read the imports of src/ (import lines and import() calls) and fail on any
 * cycle between folders. src/'s own files are split in two: main.ts, the process boundary above
 * everything, and the shared vocabulary (types.ts, errors.ts, log.ts, stdout.ts) below everything.
 */
const SRC = join(ROOT, 'src')

/** Every .ts file under `dir`. */
const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )

/** The folder-level node a source file belongs to. */
function nodeOf(file: string): string {
  const rel = relative(SRC, file)
  if (!rel.includes('/')) return rel === 'main.ts' ? 'main' : 'shared'
  return rel.split('/')[0]!
}

/** Every folder-to-folder import of src/: from -> to -> the file imports that make it. */
function folderGraph(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>()
  for (const file of walk(SRC)) {
    const text = readFileSync(file, 'utf8')
    // Static imports, and dynamic ones (kafkajs is loaded on first use, but its folder is still a dependency).
    for (const [, spec] of text.matchAll(/(?:^(?:import|export)\b[^'"]*?from\s+|\bimport\(\s*)['"](\.[^'"]+)['"]/gm)) {
      const target = resolve(dirname(file), spec!)
      if (!target.startsWith(SRC)) continue // package.json, for the version
      const [from, to] = [nodeOf(file), nodeOf(target)]
      if (from === to) continue
      const edges = graph.get(from) ?? new Map<string, string[]>()
      graph.set(from, edges)
      edges.set(to, [...(edges.get(to) ?? []), `${relative(SRC, file)} imports ${relative(SRC, target)}`])
    }
  }
  return graph
}

/** Each edge that lies on a cycle, with the imports that make it. */
function cycles(graph: Map<string, Map<string, string[]>>): string[] {
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>()
    const stack = [from]
    while (stack.length > 0) {
      const node = stack.pop()!
      if (node === to) return true
      for (const next of graph.get(node)?.keys() ?? []) if (!seen.has(next)) seen.add(next) && stack.push(next)
    }
    return false
  }
  return [...graph].flatMap(([from, edges]) =>
    [...edges].filter(([to]) => reaches(to, from)).map(([to, why]) => `${from} -> ${to}: ${why.join(', ')}`),
  )
}

/**
 * The places in a source text that ask which output a run writes to, comments aside: a comparison
 * with an output's name or its definition (`output.kind === 'kafka'`, `'stdout' !== kind`,
 * `case 'kafka':`, `definition === KAFKA`), a read of the output's kind (`options.output.kind`,
 * `Output['kind']`), the registry indexed by a name (`OUTPUTS['kafka']`, `OUTPUTS.kafka`), an
 * output made by its name (`kind: 'stdout'`), or a field that says whether it is one (`kafka: boolean`).
 * Each as `line: text`.
 */
function outputTests(text: string, names: readonly string[]): string[] {
  const name = `(?:${names.join('|')})`
  const literal = `(['"\`])${name}\\1`
  const definition = `\\b(?:${names.map((n) => n.toUpperCase().replaceAll('-', '_')).join('|')})\\b`
  const rules = [
    new RegExp(`[!=]==?\\s*${literal}`),
    new RegExp(`${literal}\\s*[!=]==?`),
    new RegExp(`\\bcase\\s+${literal}`),
    new RegExp(`[!=]==?\\s*${definition}`),
    new RegExp(`${definition}\\s*[!=]==?`),
    /\boutput\??\.kind\b/,
    /\bOutput\[\s*['"`]kind['"`]\s*\]/,
    new RegExp(`\\bOUTPUTS\\s*(?:\\[\\s*['"\`]|\\.\\s*${name}\\b)`),
    new RegExp(`\\bkind\\s*:\\s*${literal}`),
    new RegExp(`\\b${name}\\??\\s*:\\s*boolean\\b`),
  ]
  // Comments out, line breaks kept: a block comment becomes as many empty lines.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, '')).replace(/(^|\s)\/\/.*$/gm, '$1')
  return code.split('\n').flatMap((line, i) => (rules.some((r) => r.test(line)) ? [`${i + 1}: ${line.trim()}`] : []))
}

describe('layers', () => {
  it('no folder of src/ imports a folder that imports it back, directly or through others', () => {
    expect(cycles(folderGraph())).toEqual([])
  })

  it('the shared vocabulary imports no folder; main.ts is imported by none', () => {
    const graph = folderGraph()
    expect([...(graph.get('shared')?.keys() ?? [])]).toEqual([])
    expect([...graph].filter(([, edges]) => edges.has('main')).map(([from]) => from)).toEqual([])
  })

  it('no code outside src/outputs/ asks which output a run writes to', () => {
    const names = OUTPUTS.map((o) => o.name)
    const asked = walk(SRC)
      .filter((file) => !relative(SRC, file).startsWith('outputs/'))
      .flatMap((file) => outputTests(readFileSync(file, 'utf8'), names).map((at) => `${relative(SRC, file)}:${at}`))
    expect(asked).toEqual([])
  })

  it.each([
    ["if (options.output.kind === 'kafka') connect()", true],
    ['const merged = "stdout" == output.kind', true],
    ["switch (kind) { case 'stdout': return 1 }", true],
    ['if (definition !== KAFKA) throw new Error()', true],
    ['const k = init.output?.kind', true],
    ["const open: Record<Output['kind'], Opener> = {}", true],
    ["const open = OUTPUTS['kafka']", true],
    ['const open = OUTPUTS.stdout', true],
    ["return { kind: 'stdout' }", true],
    ['interface Facts { kafka?: boolean }', true],
    ["const topics = section(doc, 'kafka', 'kafka')", false],
    ["if (reason === 'stdout-closed') return 141", false],
    ["// if (output.kind === 'kafka') is what this replaced", false],
    ["/* case 'kafka': */ const x = 1", false],
    ['const kafkaTopics = KAFKA.flags', false],
  ])('the rule: %s -> %p', (line, asks) => {
    expect(outputTests(line, ['stdout', 'kafka']).length > 0).toBe(asks)
  })

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['core', new Map([['trace', ['core/a.ts imports trace/b.ts']]])],
      ['trace', new Map([['core', ['trace/b.ts imports core/c.ts']]])],
    ])
    expect(cycles(graph)).toEqual([
      'core -> trace: core/a.ts imports trace/b.ts',
      'trace -> core: trace/b.ts imports core/c.ts',
    ])
  })
})
