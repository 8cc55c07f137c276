import { describe, expect, it } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { differences, startingPoint, writeCheckpoint } from '../../src/run/checkpoint.ts'
import { temporaryFolders } from '../helpers.ts'

const tempDir = temporaryFolders()

const identity = { trace: 'a', '--to': '2d', '--tasks-topic': 'tasks' }

describe('checkpoints', () => {
  it('name what differs', () => {
    expect(differences(identity, { ...identity, '--to': '3d', '--from': '1d' })).toEqual([
      '--to was 2d, now 3d',
      '--from was (none), now 1d',
    ])
    expect(differences(identity, { ...identity })).toEqual([])
  })

  it('start fresh, refuse to overwrite, resume only a matching replay', () => {
    const STREAMS = ['tasks', 'fragments']
    const dir = tempDir('opendt-cp-')
    const path = join(dir, 'cp.json')
    expect(() => startingPoint(path, true, identity, STREAMS)).toThrow(`--resume: no checkpoint at ${path}`)
    const fresh = startingPoint(path, false, identity, STREAMS)
    expect(fresh.streams).toEqual({ tasks: { sent: 0, acked: 0 }, fragments: { sent: 0, acked: 0 } })
    writeCheckpoint(path, { ...fresh, streams: { tasks: { sent: 5, acked: 4 }, fragments: { sent: 9, acked: 9 } } })
    expect(() => startingPoint(path, false, identity, STREAMS)).toThrow(
      `--checkpoint: ${path} exists: pass --resume to continue from it, or remove it to start over`,
    )
    expect(startingPoint(path, true, identity, STREAMS).streams).toEqual({
      tasks: { sent: 5, acked: 4 },
      fragments: { sent: 9, acked: 9 },
    })
    expect(() => startingPoint(path, true, { ...identity, '--to': '3d' }, STREAMS)).toThrow(
      `--resume: ${path} was written for another replay: --to was 2d, now 3d`,
    )
    writeFileSync(path, '{"hello":1}')
    expect(() => startingPoint(path, true, identity, STREAMS)).toThrow(
      `--checkpoint: ${path} is not an opendt-replay checkpoint`,
    )
    expect(readFileSync(path, 'utf8')).toBe('{"hello":1}')
  })
})
