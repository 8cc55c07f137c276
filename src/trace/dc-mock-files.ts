import { topologyJson } from '../core/dc-mock-wire.ts'
import { badInput } from '../errors.ts'
import { parseTopology } from './topology.ts'

/**
 * The files of an OpenDT workload folder besides the trace, for `--format dc-mock`: workload.yaml
 * (the power offset) and topology.json (checked, then sent as dc-mock sends it). consumption.parquet
 * is decoded with the trace's columns (trace/load.ts loadConsumption).
 */

/** workload.yaml's `timestamps.consumption_offset_ms`: 0 when the file does not set it. */
export function consumptionOffset(path: string, text: string): number {
  let doc: unknown
  try {
    doc = Bun.YAML.parse(text)
  } catch (error) {
    throw badInput(`${path}: invalid YAML: ${(error as Error).message}`)
  }
  const timestamps = (doc as { timestamps?: unknown } | null)?.timestamps
  if (
    timestamps !== undefined &&
    timestamps !== null &&
    (typeof timestamps !== 'object' || Array.isArray(timestamps))
  ) {
    throw badInput(
      `${path}: timestamps: expected a mapping (consumption_offset_ms: N), got ${JSON.stringify(timestamps)}`,
    )
  }
  const offset = (timestamps as { consumption_offset_ms?: unknown } | null | undefined)?.consumption_offset_ms
  if (offset === undefined || offset === null) return 0
  if (typeof offset !== 'number' || !Number.isInteger(offset) || Math.abs(offset) > 8.64e15) {
    throw badInput(
      `${path}: timestamps.consumption_offset_ms: expected a whole number of milliseconds, got ${JSON.stringify(offset)}`,
    )
  }
  return offset
}

/** topology.json checked (valid JSON, hosts with positive counts and speeds), as dc-mock sends it. */
export function topologyMessageBody(path: string, text: string): string {
  parseTopology(path, text)
  return topologyJson(text)
}
