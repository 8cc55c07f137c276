import { describe, expect, it } from 'bun:test'
import { chmodSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, run, temporaryFolders } from '../helpers.ts'

/**
 * scripts/tools.sh, which brings the tests' Debian tools (Chromium, Prometheus) as the test command
 * brings Kafka. Installed here already: its `already there` path runs for real; what it decides
 * when a tool is missing runs on a PATH restricted to a folder of links, with TOOLS_DRY_RUN=1,
 * which prints the apt-get commands instead of running them.
 */
const tempDir = temporaryFolders()
const TOOLS_SH = join(ROOT, 'scripts', 'tools.sh')
/** What the script itself runs, besides the tools and apt-get. */
const BASICS = ['id', 'sed', 'grep', 'mktemp', 'flock', 'rm', 'tail']

/** A folder of links to these commands, to be the whole PATH. */
function pathOf(commands: string[]): string {
  const dir = tempDir('opendt-tools-path-')
  chmodSync(dir, 0o755) // nobody reads it too
  for (const command of [...BASICS, ...commands]) symlinkSync(Bun.which(command)!, join(dir, command))
  return dir
}

const asRoot = process.getuid?.() === 0
const asNobody = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : []

describe('scripts/tools.sh', () => {
  it('with every tool installed: a line each, its version and path, and nothing installed', async () => {
    const expected = await Promise.all(
      ['chromium', 'prometheus', 'promtool'].map(async (tool) => {
        const path = Bun.which(tool)!
        const version = (await run([path, '--version'])).stdout.split('\n')[0]
        return `${tool}: ${version} (${path})\n`
      }),
    )
    expect(await run(['bash', TOOLS_SH], { env: { TOOLS_DRY_RUN: '1' } })).toEqual({
      code: 0,
      stdout: expected.join(''),
      stderr: '',
    })
  })

  it.skipIf(!asRoot).each([
    ['every tool missing: both packages', [], 'chromium prometheus'],
    ['chromium missing: its package only', ['prometheus', 'promtool'], 'chromium'],
    ['promtool missing: prometheus', ['chromium', 'prometheus'], 'prometheus'],
  ])('as root with apt-get, %s, after apt-get update', async (_, present, packages) => {
    const path = pathOf(['apt-get', ...present])
    expect(await run(['/bin/bash', TOOLS_SH], { clean: true, env: { PATH: path, TOOLS_DRY_RUN: '1' } })).toEqual({
      code: 0,
      stdout:
        'tools.sh: would run: apt-get update\n' +
        `tools.sh: would run: DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 ${packages}\n`,
      stderr: '',
    })
  })

  it.skipIf(!asRoot)('without apt-get: one line, exit 1', async () => {
    const path = pathOf(['promtool'])
    expect(await run(['/bin/bash', TOOLS_SH], { clean: true, env: { PATH: path, TOOLS_DRY_RUN: '1' } })).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "tools.sh: chromium, prometheus not on PATH, and no apt-get to install Debian's chromium, prometheus: install them\n",
    })
  })

  it('not as root: one line, exit 1', async () => {
    const path = pathOf(['apt-get', 'prometheus', 'promtool'])
    const command = [...asNobody, '/usr/bin/env', `PATH=${path}`, 'TOOLS_DRY_RUN=1', '/bin/bash', TOOLS_SH]
    expect(await run(command, { clean: true, env: {} })).toEqual({
      code: 1,
      stdout: '',
      stderr: "tools.sh: chromium not on PATH, and only root may install Debian's chromium: install them\n",
    })
  })
})
