import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';

/** A metric's declaration, less what the set supplies: its full name and its registry. */
type Declaration<C> = Omit<C, 'name' | 'registers'>;

/**
 * One service's Prometheus metrics: a registry of its own (tests start several services in one
 * process, so nothing goes on prom-client's global registry) and constructors that name each
 * metric `<prefix>_<name>` and register it there. Unlabelled unless `labelNames` says otherwise.
 */
export interface MetricSet {
  readonly registry: Registry;
  counter<L extends string = never>(
    name: string,
    declaration: Declaration<CounterConfiguration<L>>,
  ): Counter<L>;
  gauge<L extends string = never>(
    name: string,
    declaration: Declaration<GaugeConfiguration<L>>,
  ): Gauge<L>;
  histogram<L extends string = never>(
    name: string,
    declaration: Declaration<HistogramConfiguration<L>>,
  ): Histogram<L>;
}

export interface MetricSetOptions {
  /**
   * Node's process metrics (CPU, memory, event loop, garbage collection) on the registry, as
   * `<prefix>_process_…` and `<prefix>_nodejs_…`. Default true.
   */
  readonly processMetrics?: boolean;
}

/**
 * The metric set of a service whose metrics are named `<prefix>_…` (`rapport_gateway`). The HTTP
 * shell adds its request, latency and rejection metrics to the set it is given.
 */
export function createMetricSet(prefix: string, options: MetricSetOptions = {}): MetricSet {
  const registry = new Registry();
  if (options.processMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: `${prefix}_` });
  }
  const named = <C>(name: string, declaration: C) => ({
    ...declaration,
    name: `${prefix}_${name}`,
    registers: [registry],
  });
  return {
    registry,
    counter: (name, declaration) => new Counter(named(name, declaration)),
    gauge: (name, declaration) => new Gauge(named(name, declaration)),
    histogram: (name, declaration) => new Histogram(named(name, declaration)),
  };
}
