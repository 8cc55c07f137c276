import { lstatSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { readFlagFile } from '../../core/flag-values.ts'
import { consumptionOffset } from '../../trace/workload-yaml.ts'
import type { TraceSpec } from '../../types.ts'

/** What an OpenDT workload folder holds for dc-mock besides the trace: its power and topology files, and the power offset. */
export interface DcMockFiles {
  consumption?: string
  topology?: string
  /** workload.yaml's `timestamps.consumption_offset_ms` (0 without one). */
  powerOffsetMs: number
}

/** The files of an OpenDT workload folder found beside the trace, and workload.yaml's power offset (also inspect's). */
export function dcMockFiles(trace: TraceSpec, dir: string | undefined, read: (path: string) => string): DcMockFiles {
  const base = trace.demo ? undefined : (dir ?? dirname(trace.tasks))
  // lstat: a link that leads nowhere is there, and reading it reports why (not "no such file here").
  const beside = (file: string) => {
    const path = base === undefined ? undefined : join(base, file)
    return path !== undefined && lstatSync(path, { throwIfNoEntry: false }) ? path : undefined
  }
  const yaml = beside('workload.yaml')
  return {
    consumption: beside('consumption.parquet'),
    topology: beside('topology.json'),
    powerOffsetMs: yaml === undefined ? 0 : consumptionOffset(yaml, readFlagFile(yaml, yaml, read)),
  }
}
