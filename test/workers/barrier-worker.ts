/// <reference lib="webworker" />
// Test worker: reports the state it saw before waiting, then waits on the barrier and reports
// when it woke and which start instant it read.
import { awaitRelease, sharedClock, state } from '../../src/barrier.ts'

declare const self: Worker
self.onmessage = (event: MessageEvent<SharedArrayBuffer>) => {
  const shared = event.data
  self.postMessage({ type: 'waiting', stateBefore: state(shared) })
  const start = awaitRelease(shared)
  self.postMessage({ type: 'woke', start, wokeAt: sharedClock() })
}
