export { coalesce, MAX_EVENTS_PER_SIGNAL, type CustomerDeliveries } from './coalesce.js';
export { deliverBatch, refusedForGood, type DeliveryDeps } from './deliver.js';
export { Limiter } from './limiter.js';
export { createMetrics, type Metrics } from './metrics.js';
export { RateWindow } from './rate.js';
export { startBridge, type StartedBridge } from './start.js';
