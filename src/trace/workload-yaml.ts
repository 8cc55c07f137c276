import { echo } from '../echo.ts'
import { badInput } from '../errors.ts'
import { isMapping, parseYaml } from './file.ts'

/**
 * An OpenDT workload folder's workload.yaml, for `--format dc-mock`: the power offset. (Its
 * topology.json is trace/topology.ts's; consumption.parquet is decoded with the trace's columns,
 * trace/load.ts loadConsumption.)
 */

/** workload.yaml's `timestamps.consumption_offset_ms`: 0 when the file does not set it. */
export function consumptionOffset(path: string, text: string): number {
  const doc = parseYaml(path, text)
  if (doc !== null && doc !== undefined && !isMapping(doc)) {
    const what = Array.isArray(doc) ? 'a list (or several documents)' : echo(doc)
    throw badInput(`${path}: expected a mapping (timestamps: ...) at the top, got ${what}`)
  }
  const timestamps = (doc as { timestamps?: unknown } | null)?.timestamps
  if (timestamps !== undefined && timestamps !== null && !isMapping(timestamps)) {
    throw badInput(`${path}: timestamps: expected a mapping (consumption_offset_ms: N), got ${echo(timestamps)}`)
  }
  const offset = (timestamps as { consumption_offset_ms?: unknown } | null | undefined)?.consumption_offset_ms
  if (offset === undefined || offset === null) return 0
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || Math.abs(offset) > 8.64e15) {
    throw badInput(
      `${path}: timestamps.consumption_offset_ms: expected a whole number of milliseconds, got ${echo(offset)}`,
    )
  }
  return offset
}
