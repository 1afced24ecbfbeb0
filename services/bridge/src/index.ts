export { coalesce, MAX_EVENTS_PER_SIGNAL, type CustomerDeliveries } from './coalesce';
export { deliverBatch, refusedForGood, type DeliveryDeps } from './deliver';
export { Limiter } from './limiter';
export { createMetrics, type Metrics } from './metrics';
export { RateWindow } from './rate';
export { startBridge, type StartedBridge } from './start';
