/// <reference lib="webworker" />
// Test worker: reports the state it saw before waiting, then waits on the barrier and reports
// when it woke and which start instant it read.
import { SharedControl, sharedClock } from '../../../src/run/control.ts'

declare const self: Worker
self.onmessage = (event: MessageEvent<SharedArrayBuffer>) => {
  const control = new SharedControl(event.data)
  self.postMessage({ type: 'waiting', stateBefore: control.state })
  const start = control.awaitRelease()
  self.postMessage({ type: 'woke', start, wokeAt: sharedClock() })
}
