/**
 * dc-mock's defaults and topic names, written once: the format (formats/dc-mock), inspect's view of
 * it (inspect/dc-mock.ts), `--help`, and `opendt-replay dc-mock` (cli/opendt.ts) read them here.
 */

/** The topic of each dc-mock stream when no flag or config file names it (OpenDT's config/default.yaml). */
export const DC_MOCK_TOPICS = { workload: 'dc.workload', power: 'dc.power', topology: 'dc.topology' } as const

/** `--heartbeat`: trace time between heartbeats (dc-mock's heartbeat_frequency_minutes default, 1). */
export const DEFAULT_HEARTBEAT = '1m'
/** `--topology-interval`: trace time between topology messages (dc-mock's publish_interval_seconds, 30). */
export const DEFAULT_TOPOLOGY_INTERVAL = '30s'

/** dc-mock's own environment defaults (OpenDT's dc_mock/main.py and odt_common/utils/kafka.py). */
export const DC_MOCK_ENVIRONMENT = { workloadDir: '/app/workload', bootstrap: 'kafka:29092' } as const
