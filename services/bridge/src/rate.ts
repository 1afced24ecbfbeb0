/**
 * A per-second rate over a sliding window of whole seconds, for gauges a person reads directly
 * (`events/s`); the counters beside them are what Prometheus' `rate()` should use.
 */
export class RateWindow {
  readonly #buckets: number[];
  #second = 0;

  /** `seconds` buckets: the one filling now and `seconds - 1` full ones that make the rate. */
  constructor(readonly seconds = 11) {
    this.#buckets = Array.from({ length: seconds }, () => 0);
  }

  add(count: number, nowMs: number): void {
    this.#advance(nowMs);
    const index = this.#second % this.seconds;
    this.#buckets[index] = (this.#buckets[index] ?? 0) + count;
  }

  /** The mean over the last full seconds (ten by default). */
  perSecond(nowMs: number): number {
    this.#advance(nowMs);
    const current = this.#buckets[this.#second % this.seconds] ?? 0;
    const total = this.#buckets.reduce((sum, value) => sum + value, 0);
    return (total - current) / (this.seconds - 1);
  }

  #advance(nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    const steps = Math.min(second - this.#second, this.seconds);
    for (let step = 1; step <= steps; step += 1) {
      this.#buckets[(this.#second + step) % this.seconds] = 0;
    }
    this.#second = Math.max(second, this.#second);
  }
}
