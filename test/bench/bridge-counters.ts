import type { ServiceProcess } from './service.js';

/**
 * The bridge's counters and per-partition lag from one read of its /metrics: all the figures of a
 * poll from the same instant, and the lag the largest of the labelled series.
 */
export async function bridgeCounters(bridge: ServiceProcess) {
  const reading = await bridge.metrics();
  const partitionLags = new Map(
    reading
      .samples('rapport_bridge_lag_seconds')
      .map(({ labels, value }) => [Number(labels['partition']), value]),
  );
  return {
    events: reading.sum('rapport_bridge_events_total'),
    signals: reading.sum('rapport_bridge_signals_total'),
    retries: reading.sum('rapport_bridge_signal_retries_total'),
    signalSeconds: reading.sum('rapport_bridge_signal_seconds_sum'),
    lag: Math.max(0, ...partitionLags.values()),
    /** By partition; each keeps its last batch's value until the next batch is done. */
    partitionLags,
  };
}
