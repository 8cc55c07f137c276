/**
 * A replay worker that serves the test registry: the product's worker (src/run/worker.ts), which
 * serves formats/index.ts's registry, served again with the fixture format added. The test's
 * spawn edge starts this file instead of the product's.
 */
import { serve } from '../../src/run/worker.ts'
import { WITH_TASK_LINES } from './registry.ts'

serve(WITH_TASK_LINES)
