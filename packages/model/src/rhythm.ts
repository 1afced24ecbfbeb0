import { MS_PER_DAY, type ModelParams } from './params.js';
import { FIRSTS, LASTS, LIFETIME, type State } from './state.js';
import { finiteOrNull, get } from './vectors.js';

/**
 * A customer's own rhythm, read from three order-independent parts of the state: the count of
 * their exchanges (a sum), the first (a min) and the last (a max). Their usual interval is the
 * mean gap between exchanges, (last − first)/(count − 1), so a merge of two states reads the same
 * rhythm as one state of all their events.
 */
export interface Rhythm {
  readonly exchanges: number;
  readonly firstExchange: number | null;
  readonly lastExchange: number | null;
  /** The mean time between exchanges; null below two exchanges at different instants. */
  readonly intervalMs: number | null;
  /** intervals/(intervals + 2): a third after one interval, 0.85 after eleven. */
  readonly confidence: number;
  /**
   * How long after the last exchange the customer is still on rhythm: their interval times
   * `overdueAfterIntervals`, within the floor and the ceiling. Null without a rhythm (too few
   * exchanges, or rhythms turned off): the customer is judged by engagement alone.
   */
  readonly spanMs: number | null;
}

export function rhythmOf(state: State, params: ModelParams): Rhythm {
  const exchanges = get(state.sums, LIFETIME.exchanges);
  const first = get(state.sums, FIRSTS.exchange);
  const last = get(state.sums, LASTS.exchange);
  const intervals = Math.max(0, exchanges - 1);
  const intervalMs = intervals > 0 && last > first ? (last - first) / intervals : null;
  const settings = params.rhythm;
  const established = settings.enabled && intervalMs !== null && exchanges >= settings.minExchanges;
  return {
    exchanges,
    firstExchange: finiteOrNull(first),
    lastExchange: finiteOrNull(last),
    intervalMs,
    confidence: intervals / (intervals + 2),
    spanMs: established
      ? Math.min(
          Math.max(intervalMs * settings.overdueAfterIntervals, settings.floorDays * MS_PER_DAY),
          settings.ceilingDays * MS_PER_DAY,
        )
      : null,
  };
}

/**
 * When the customer's silence since their last exchange outgrows their rhythm, if nothing else
 * happens: a closed form, so a workflow sleeps until exactly then. Null without a rhythm.
 */
export function overdueAt(rhythm: Rhythm): number | null {
  return rhythm.spanMs === null || rhythm.lastExchange === null
    ? null
    : rhythm.lastExchange + rhythm.spanMs;
}
