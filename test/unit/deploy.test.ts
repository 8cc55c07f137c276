import { describe, expect, it } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, temporaryFolders } from '../helpers.ts'

const tempDir = temporaryFolders()

/**
 * deploy/opendt: the image's build file and the compose override that puts it in the place of
 * OpenDT's dc-mock service, parsed. What they must keep is OpenDT's compose's dc-mock service
 * (atlarge-research/opendt docker-compose.yml): its name, its three variables and its two mounts.
 */
const DEPLOY = join(ROOT, 'deploy', 'opendt')
const text = (file: string) => readFileSync(join(DEPLOY, file), 'utf8')

/** The Containerfile's instructions, comments and continuations folded: [instruction, argument]. */
function instructions(file: string): [string, string][] {
  return text(file)
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))
    .map((l) => {
      const [word, ...rest] = l.trim().split(/\s+/)
      return [word!.toUpperCase(), rest.join(' ')]
    })
}

describe('deploy/opendt', () => {
  it('Containerfile: the binary on an empty base, uid 1000, dc-mock by default', () => {
    expect(instructions('Containerfile').filter(([word]) => word !== 'LABEL')).toEqual([
      ['FROM', 'scratch'],
      ['COPY', 'rootfs/ /'],
      ['USER', '1000:1000'],
      ['WORKDIR', '/app'],
      ['ENTRYPOINT', '["/usr/local/bin/opendt-replay"]'],
      ['CMD', '["dc-mock"]'],
    ])
  })

  it("compose.override.yml: replaces dc-mock's service with the image, same environment and mounts", () => {
    const raw = text('compose.override.yml')
    const doc = Bun.YAML.parse(raw) as { services: Record<string, Record<string, unknown>> }
    expect(Object.keys(doc.services)).toEqual(['dc-mock'])
    const service = doc.services['dc-mock']!
    expect(service).toEqual({
      image: 'opendt-replay:dc-mock',
      pull_policy: 'never',
      build: 'null', // `!reset null`: the tag is compose's, the value is dropped
      command: ['dc-mock'],
      environment: {
        KAFKA_BOOTSTRAP_SERVERS: 'kafka:29092',
        WORKLOAD_DIR: '/app/workload',
        CONFIG_FILE: '/app/config.yaml',
        OPENDT_REPLAY_HTTP: '0.0.0.0:9464',
      },
      ports: ['127.0.0.1:9464:9464'],
      healthcheck: {
        test: ['CMD', '/usr/local/bin/opendt-replay', 'healthcheck'],
        interval: '10s',
        timeout: '5s',
        retries: 3,
        start_period: '60s',
      },
      volumes: [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's variables, as the file spells them
        '${WORKLOAD_PATH:-./workload/SURF}:/app/workload:ro',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's variables, as the file spells them
        '${CONFIG_PATH:-./config/default.yaml}:/app/config.yaml:ro',
      ],
    })
    // OpenDT's build of dc-mock and its source mounts are dropped, not merged with ours.
    expect(raw).toContain('    build: !reset null\n')
    expect(raw).toContain('    volumes: !override\n')
  })

  it('build.sh --rootfs: the binary, the libraries it links and the loader, /tmp and /app, a passwd', async () => {
    const dir = tempDir('opendt-rootfs-')
    const staged = Bun.spawnSync(
      ['bash', join(DEPLOY, 'build.sh'), '--rootfs', dir, join(ROOT, 'dist', 'opendt-replay')],
      {
        stderr: 'pipe',
      },
    )
    expect([staged.exitCode, staged.stdout.toString()]).toEqual([0, `${dir}/rootfs\n`])
    const files = Bun.spawnSync(['find', `${dir}/rootfs`, '-mindepth', '1'])
      .stdout.toString()
      .trim()
      .split('\n')
      .map((f) => f.slice(`${dir}/rootfs`.length))
      .sort()
    const libraries = Bun.spawnSync(['ldd', join(ROOT, 'dist', 'opendt-replay')])
      .stdout.toString()
      .split('\n')
      .flatMap((l) => /=> (\/\S+)/.exec(l)?.[1] ?? /^\s*(\/\S*ld-linux\S*)/.exec(l)?.[1] ?? [])
    expect(libraries.length).toBeGreaterThanOrEqual(2)
    for (const lib of libraries) expect(files).toContain(lib)
    for (const path of ['/usr/local/bin/opendt-replay', '/tmp', '/app', '/etc/passwd', '/etc/group'])
      expect(files).toContain(path)
    expect(readFileSync(`${dir}/rootfs/etc/passwd`, 'utf8')).toContain('opendt:x:1000:1000:')
  })
})
