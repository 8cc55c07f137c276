/**
 * OpenDT's config/default.yaml in shape (atlarge-research/opendt; its keys and comments, written
 * here rather than committed), with the speed and the three dc-mock topics' names to choose.
 */
export function openDtYaml(
  speed: number | string = 1,
  names = { workload: 'dc.workload', power: 'dc.power', topology: 'dc.topology' },
): string {
  return `# OpenDT Default Configuration

global:
  speed_factor: ${speed}  # 1.0 = Realtime, -1 = Max Speed
  calibration_enabled: false

services:
  dc-mock:
    workload: "SURF"
    heartbeat_frequency_minutes: 1

  simulator:
    simulation_frequency_minutes: 5
    background_load_nodes: 0

kafka:
  topics:
    workload:
      name: "${names.workload}"
      config:
        # 24 hours
        retention.ms: "86400000"
    power:
      name: "${names.power}"
      config:
        # 1 hour
        retention.ms: "3600000"
    topology:
      name: "${names.topology}"
      config:
        # Compacted topic - keeps latest topology
        cleanup.policy: "compact"
        # Keep at least 1 hour
        min.compaction.lag.ms: "3600000"
    system:
      name: "sys.config"
      config:
        cleanup.policy: "compact"
    sim_topology:
      name: "sim.topology"
      config:
        # Compacted topic - keeps latest simulated topology
        cleanup.policy: "compact"
        min.compaction.lag.ms: "0"
    results:
      name: "sim.results"
      config:
        # 7 days retention for simulation results
        retention.ms: "604800000"
`
}
