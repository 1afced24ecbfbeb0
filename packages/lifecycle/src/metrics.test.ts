import { describe, expect, it } from 'vitest';
import { createMetricSet } from './metrics.js';

describe('createMetricSet', () => {
  it('names every metric after its prefix, on a registry of its own', async () => {
    const metrics = createMetricSet('rapport_test');
    const events = metrics.counter('events_total', {
      help: 'Events by outcome',
      labelNames: ['outcome'] as const,
    });
    metrics.histogram('batch_seconds', { help: 'Batch time', buckets: [0.1, 1] }).observe(0.5);
    metrics.gauge('open', { help: 'Open things' }).set(3);
    events.inc({ outcome: 'applied' }, 2);

    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^# TYPE rapport_test_events_total counter$/m);
    expect(text).toMatch(/^rapport_test_events_total\{outcome="applied"\} 2$/m);
    expect(text).toMatch(/^rapport_test_batch_seconds_bucket\{le="1"\} 1$/m);
    expect(text).toMatch(/^rapport_test_open 3$/m);
    expect(text).toMatch(/^rapport_test_process_cpu_seconds_total /m);
    // A second set with the same prefix does not collide: nothing is on the global registry.
    expect(() =>
      createMetricSet('rapport_test').counter('events_total', { help: 'x' }),
    ).not.toThrow();
  });

  it('leaves out the process metrics when asked', async () => {
    const metrics = createMetricSet('rapport_bare', { processMetrics: false });
    metrics.gauge('running', { help: '1 while running' }).set(1);
    expect(await metrics.registry.metrics()).toBe(
      '# HELP rapport_bare_running 1 while running\n# TYPE rapport_bare_running gauge\nrapport_bare_running 1\n',
    );
  });
});
