import type { FormatRegistry } from '../../src/formats/format.ts'
import { FORMATS } from '../../src/formats/index.ts'
import { taskLines } from './task-lines/index.ts'

/** The registry with the fixture format added: its folder and this one line, as a format is added to src/formats/index.ts. */
export const WITH_TASK_LINES: FormatRegistry = { ...FORMATS, 'task-lines': taskLines }
