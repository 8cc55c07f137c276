/**
 * The dependency patches (patches/index.ts) for this thread, as a runtime plugin: bunfig.toml
 * preloads this file for `bun src/main.ts`, the scripts and `bun test`, and src/main.ts hands it
 * to its Workers, which do not inherit a preload (oven-sh/bun issue 12608). It must run before
 * kafkajs or hyparquet is loaded; the binary has the patches bundled instead (scripts/build.ts).
 */

import { threadId } from 'node:worker_threads'
import { plugin } from 'bun'
import { runtimePlugin } from './plugin.ts'

plugin(runtimePlugin(undefined, threadId))
