/**
 * The patches as Bun plugins: one for the bundler (scripts/build.ts), one for the runtime
 * (patches/preload.ts). Both load a target file through the same hook: check its package's
 * version and the file's sha256, then apply the patch (each anchor found exactly once).
 *
 * At run time a CommonJS file is handed to Bun as an ES module that exports the file's
 * module.exports under the name "module.exports", which is what `require()` of an ES module
 * returns: Bun 1.4.4 takes the source a runtime plugin returns for a required file as an ES module,
 * whose `require()` then yields its namespace instead of module.exports (oven-sh/bun issues
 * 19279 and 39786). The bundler takes CommonJS as it is.
 */

import { readFileSync } from 'node:fs'
import type { BunPlugin, PluginBuilder } from 'bun'
import { checkTarget, PATCHES, type Patch, versionIn } from './index.ts'

/** Matches the patch's target file under any node_modules folder. */
const filterOf = (patch: Patch) => {
  const path = `${patch.package}/${patch.file}`.replace(/[.]/g, '\\.').replaceAll('/', '[\\\\/]')
  return new RegExp(`node_modules[\\\\/]${path}$`)
}

/** A CommonJS source as an ES module whose `require()` gives its module.exports. */
const asEsModule = (source: string) =>
  'const module = { exports: {} }\nconst exports = module.exports\n' +
  `${source}\nconst __patched = module.exports\nexport { __patched as 'module.exports', __patched as default }\n`

/** Registers a hook per patch: `loaded` is told of each file patched; `runtime` wraps CommonJS. */
function hooks(build: PluginBuilder, patches: Patch[], runtime: boolean, loaded: (patch: Patch) => void): void {
  for (const patch of patches) {
    build.onLoad({ filter: filterOf(patch) }, (args) => {
      const bytes = readFileSync(args.path)
      // The package's folder: the path without the file, whose length the filter fixed.
      checkTarget(patch, bytes, versionIn(args.path.slice(0, args.path.length - patch.file.length)))
      const source = patch.apply(bytes.toString('utf8'))
      loaded(patch)
      return { loader: 'js', contents: runtime && patch.commonjs ? asEsModule(source) : source }
    })
  }
}

/** The bundler's plugin, and which patches it has not applied (the bundler never loaded their file). */
export function bundlePlugin(patches: Patch[] = PATCHES): { plugin: BunPlugin; missed: () => Patch[] } {
  const fired = new Set<Patch>()
  const plugin: BunPlugin = {
    name: 'opendt-replay-patches',
    setup: (build) => hooks(build, patches, false, (patch) => fired.add(patch)),
  }
  return { plugin, missed: () => patches.filter((p) => !fired.has(p)) }
}

/** The files the runtime plugin has patched in this thread, as package/file. */
export const applied = new Set<string>()

/**
 * The runtime plugin. With OPENDT_PATCHES_REPORT set, each file patched is also reported on stderr
 * with the thread that loaded it: that is how a test sees that a source run's Workers are patched.
 */
export function runtimePlugin(patches: Patch[] = PATCHES, threadId = 0): BunPlugin {
  const report = Boolean(process.env.OPENDT_PATCHES_REPORT)
  const loaded = (patch: Patch) => {
    const name = `${patch.package}/${patch.file}`
    applied.add(name)
    if (report) process.stderr.write(`patched ${name} in thread ${threadId}\n`)
  }
  return { name: 'opendt-replay-patches', target: 'bun', setup: (build) => hooks(build, patches, true, loaded) }
}
