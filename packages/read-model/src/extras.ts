import {
  DEFAULT_CATALOG,
  DEFAULT_CHANNELS,
  OTHER,
  UNKNOWN_EVENT,
  type FoldableEvent,
  type Model,
} from '@rapport/model';
import { instantMs, type Interaction } from '@rapport/schema';
import { z } from 'zod';

const instant = z.number().nullable();
const count = z.int().min(0);

/**
 * What the read model keeps beside the model's state, all of it order-independent (counts and
 * latest instants) so that it, too, is the same whatever order the log is folded in.
 */
export const ExtrasSchema = z.strictObject({
  /** Latest interaction per channel (epoch ms); channels outside the catalog pooled as `*`. */
  ch: z.record(z.string(), z.number()),
  /** Follow-ups the engine reported: [started, finished, last started at, last finished at]. */
  fu: z.tuple([count, count, instant, instant]),
  /** Engagement drops the engine detected and acted on: [count, last at]. */
  dr: z.tuple([count, instant]),
  /**
   * Drops it recorded as skipped, over long before it saw them (history imported after the fact):
   * [count, last at]. Records written before these were counted read as none.
   */
  sk: z.tuple([count, instant]).default([0, null]),
});
export type Extras = z.infer<typeof ExtrasSchema>;

export const EMPTY_EXTRAS: Extras = {
  ch: {},
  fu: [0, 0, null, null],
  dr: [0, null],
  sk: [0, null],
};

/** Derived bookkeeping the read model counts beside the model's own fold. */
const FOLLOWUP_STARTED = 'followup.started';
const FOLLOWUP_FINISHED = 'followup.finished';
const DROP_DETECTED = 'engagement.drop_detected';

const later = (stored: number | null, at: number) => (stored === null ? at : Math.max(stored, at));

/**
 * Folds one event into the extras: like the model's fold, only counts and latest instants, so
 * the order of events does not matter. Channels are keyed as the model keys them (catalog
 * channels by name, the others pooled as `*`), so the extras stay bounded too.
 */
export function extrasFolder(
  model: Model,
): (extras: Extras, event: FoldableEvent & Pick<Interaction, 'properties'>) => Extras {
  const known = new Set([...Object.keys(DEFAULT_CHANNELS), ...Object.keys(model.params.channels)]);
  const kindOf = (type: string) =>
    model.params.catalog[type]?.kind ?? DEFAULT_CATALOG[type]?.kind ?? UNKNOWN_EVENT.kind;
  return (extras, event) => {
    const at = instantMs(event.occurredAt);
    if (event.type === FOLLOWUP_STARTED) {
      const [started, finished, lastStarted, lastFinished] = extras.fu;
      return { ...extras, fu: [started + 1, finished, later(lastStarted, at), lastFinished] };
    }
    if (event.type === FOLLOWUP_FINISHED) {
      const [started, finished, lastStarted, lastFinished] = extras.fu;
      return { ...extras, fu: [started, finished + 1, lastStarted, later(lastFinished, at)] };
    }
    if (event.type === DROP_DETECTED) {
      // A follow-up a person asked for is not a drop; its follow-up is counted when it starts.
      if (event.properties?.['trigger'] === 'manual') return extras;
      if (event.properties?.['decision'] === 'skipped_backfill') {
        return { ...extras, sk: [extras.sk[0] + 1, later(extras.sk[1], at)] };
      }
      return { ...extras, dr: [extras.dr[0] + 1, later(extras.dr[1], at)] };
    }
    if (kindOf(event.type) === 'signal') return extras;
    const channel = known.has(event.channel) ? event.channel : OTHER;
    return { ...extras, ch: { ...extras.ch, [channel]: later(extras.ch[channel] ?? null, at) } };
  };
}

const latest = (a: number | null, b: number | null) =>
  a === null ? b : b === null ? a : Math.max(a, b);

/**
 * The extras of two customers who turn out to be one person (identity merges): counts add and
 * latest instants are the later, exactly what folding both customers' events into one gives.
 */
export function mergeExtras(a: Extras, b: Extras): Extras {
  const ch = { ...a.ch };
  for (const [channel, at] of Object.entries(b.ch)) ch[channel] = Math.max(ch[channel] ?? at, at);
  return {
    ch,
    fu: [a.fu[0] + b.fu[0], a.fu[1] + b.fu[1], latest(a.fu[2], b.fu[2]), latest(a.fu[3], b.fu[3])],
    dr: [a.dr[0] + b.dr[0], latest(a.dr[1], b.dr[1])],
    sk: [a.sk[0] + b.sk[0], latest(a.sk[1], b.sk[1])],
  };
}
