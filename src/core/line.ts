import { asciiBytes } from './bytes.ts'

/**
 * A dry-run line, whatever the format: `{"topic":T,"key":K,"value":V}` and a newline, where K is
 * the key as the stream spells it in JSON (EventStream keyJson) and V the value's bytes, so a
 * line parses as JSON when the value does. It is written as
 * LINE_START(topic) KEY LINE_VALUE VALUE LINE_END.
 */
export const lineStart = (topic: string): Buffer => asciiBytes('{"topic":' + JSON.stringify(topic) + ',"key":')
export const LINE_VALUE = asciiBytes(',"value":')
export const LINE_END = asciiBytes('}\n')
