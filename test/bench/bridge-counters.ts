import type { ServiceProcess } from './service.js';

/**
 * The bridge's counters and per-partition lag from one read of its /metrics: all the figures of a
 * poll from the same instant (`ServiceProcess.metric` reads /metrics once per series), and the
 * lag is the largest of the labelled series, where `metric` gives the first.
 */
export async function bridgeCounters(bridge: ServiceProcess) {
  const text = await (await fetch(`${bridge.url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  const partitionLags = new Map(
    [...text.matchAll(/^rapport_bridge_lag_seconds\{partition="(\d+)"\} (\S+)$/gm)].map((match) => [
      Number(match[1]),
      Number(match[2]),
    ]),
  );
  return {
    events: value('rapport_bridge_events_total'),
    signals: value('rapport_bridge_signals_total'),
    retries: value('rapport_bridge_signal_retries_total'),
    signalSeconds: value('rapport_bridge_signal_seconds_sum'),
    lag: Math.max(0, ...partitionLags.values()),
    /** By partition; each keeps its last batch's value until the next batch is done. */
    partitionLags,
  };
}
