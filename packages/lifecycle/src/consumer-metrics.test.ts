import { AggregatorRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { consumerMetrics } from './consumer-metrics.js';
import { createMetricSet } from './metrics.js';

describe('consumerMetrics', () => {
  it('counts dead letters by reason and reads the waiting partitions; a pool sums all but the longest wait', async () => {
    const workers = [
      [
        { waitingMs: 75_000, stalled: true },
        { waitingMs: 2_000, stalled: false },
      ],
      [{ waitingMs: 90_000, stalled: true }],
    ].map((waiting) => {
      const set = createMetricSet('rapport_test', { processMetrics: false });
      const metrics = consumerMetrics(set);
      metrics.deadLettered('HANDLER_FAILED', 2);
      metrics.watchPartitions(() => waiting);
      return set.registry;
    });

    const one = await workers[0]?.metrics();
    expect(one).toMatch(/^rapport_test_dead_lettered_total\{reason="HANDLER_FAILED"\} 2$/m);
    expect(one).toMatch(/^rapport_test_stalled_partitions 1$/m);
    expect(one).toMatch(/^rapport_test_partition_wait_seconds 75$/m);

    const pooled = await AggregatorRegistry.aggregate(
      await Promise.all(workers.map((registry) => registry.getMetricsAsJSON())),
    ).metrics();
    expect(pooled).toMatch(/^rapport_test_dead_lettered_total\{reason="HANDLER_FAILED"\} 4$/m);
    expect(pooled).toMatch(/^rapport_test_stalled_partitions 2$/m);
    expect(pooled).toMatch(/^rapport_test_partition_wait_seconds 90$/m);
  });

  it('shows no wait before a consumer runs', async () => {
    const set = createMetricSet('rapport_idle', { processMetrics: false });
    consumerMetrics(set);
    const text = await set.registry.metrics();
    expect(text).toMatch(/^rapport_idle_stalled_partitions 0$/m);
    expect(text).toMatch(/^rapport_idle_partition_wait_seconds 0$/m);
  });
});
