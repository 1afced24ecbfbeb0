/**
 * `pnpm --filter @rapport/model bench`: apply events/s and `at` reads/s on one core, the
 * serialized size of a customer's state, and beside them a baseline on the same machine: a plain
 * loop that folds the same number of decayed doubles (one rescale and one add per event), the
 * floor for any fold.
 */
import { DAY, HOUR, inbound, outbound } from './fixtures';
import { createModel } from './model';
import type { FoldableEvent, State } from './state';

const EVENTS = 10_000;
const ROUNDS = 100;
const model = createModel();

/** Deterministic, so every run measures the same stream (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A busy customer over three years on every default channel: browsing and app use, newsletters,
 * support threads with SLA verdicts, chat, calls, social, purchases and renewals.
 */
function busyCustomer(count: number): FoldableEvent[] {
  const next = random(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const start = Date.UTC(2023, 0, 1);
  const span = 3 * 365 * DAY;
  const moves: ReadonlyArray<(at: number) => FoldableEvent> = [
    (at) => inbound('page.viewed', 'web', at),
    (at) => inbound('app.opened', 'app', at),
    (at) => inbound('feature.used', 'app', at),
    (at) => outbound('email.sent', 'email', at, { appeal: pick(['ethos', 'pathos', 'logos']) }),
    (at) => inbound('email.opened', 'email', at),
    (at) => inbound('email.replied', 'email', at, { sentiment: next() * 2 - 1 }),
    (at) => inbound('support.ticket_opened', 'support', at),
    (at) => outbound('support.ticket_replied', 'support', at + HOUR),
    (at) => outbound('sla.met', 'support', at + HOUR),
    (at) => outbound('sla.missed', 'support', at + 8 * HOUR),
    (at) => outbound('support.ticket_resolved', 'support', at + DAY, { outcome: 'kept' }),
    (at) => inbound('chat.message', 'chat', at),
    (at) => outbound('chat.message', 'chat', at),
    (at) => inbound('call.completed', 'phone', at, { sentiment: 0.5 }),
    (at) => inbound('social.mention', 'social', at, { sentiment: next() * 2 - 1 }),
    (at) => inbound('community.posted', 'community', at),
    (at) => outbound('sms.sent', 'sms', at),
    (at) => inbound('store.visit', 'store', at),
    (at) => inbound('purchase.completed', 'store', at, { value: 20 + next() * 200 }),
    (at) => outbound('sales.proposal_sent', 'sales', at),
    (at) => inbound('invoice.paid', 'billing', at),
    (at) => inbound('subscription.renewed', 'billing', at),
    (at) => inbound('review.posted', 'web', at, { sentiment: 0.8 }),
  ];
  return Array.from({ length: count }, () => pick(moves)(start + Math.floor(next() * span)));
}

function timed(run: () => void): number {
  const started = performance.now();
  run();
  return (performance.now() - started) / 1000;
}

/** Best of a few runs after a warm-up, in operations per second. */
function rate(operations: number, run: () => void): number {
  run();
  const seconds = Math.min(timed(run), timed(run), timed(run));
  return operations / seconds;
}

const events = busyCustomer(EVENTS);
const halfLife = model.params.halfLifeDays * DAY;
const instants = events.map((event) => Date.parse(event.occurredAt));
const values = events.map((_, i) => (i % 7) + 0.5);

let sink = 0;
let state: State = model.empty();

const baseline = rate(EVENTS * ROUNDS, () => {
  for (let round = 0; round < ROUNDS; round++) {
    let sum = 0;
    let reference = instants[0] ?? 0;
    for (let i = 0; i < EVENTS; i++) {
      const at = instants[i] ?? 0;
      if (at > reference) {
        sum *= 2 ** (-(at - reference) / halfLife);
        reference = at;
      }
      sum += (values[i] ?? 0) * 2 ** (-(reference - at) / halfLife);
    }
    sink += sum;
  }
});

const applies = rate(EVENTS * ROUNDS, () => {
  for (let round = 0; round < ROUNDS; round++) {
    state = events.reduce((folded, event) => model.apply(folded, event), model.empty());
  }
});

const reads = rate(EVENTS * ROUNDS, () => {
  for (let i = 0; i < EVENTS * ROUNDS; i++)
    sink += model.at(state, state.t + (i % 1000) * HOUR).engagement;
});

const bytes = JSON.stringify(model.toJSON(state)).length;
const format = (perSecond: number) => `${(perSecond / 1e6).toFixed(2)} M/s`;

console.log(`one customer, ${EVENTS} events (${ROUNDS} folds), node ${process.version}`);
console.table({
  'baseline: decayed-sum loop': { rate: format(baseline) },
  'apply (events/s)': { rate: format(applies) },
  'at (reads/s)': { rate: format(reads) },
});
console.log(`serialized state: ${bytes} bytes (JSON)`);
if (Number.isNaN(sink)) console.log('(sink)');
