/**
 * `pnpm --filter @rapport/model bench`: apply events/s and `at` reads/s on one core, the
 * serialized size of a customer's state, and beside them a baseline on the same machine: a plain
 * loop that folds the same number of decayed doubles (one rescale and one add per event), the
 * floor for any fold.
 */
import { instantMs } from '@rapport/schema';
import { busyCustomer, DAY, HOUR } from './fixtures.js';
import { createModel } from './model.js';
import type { State } from './state.js';

const EVENTS = 10_000;
const ROUNDS = 100;
const model = createModel();

function timed(run: () => void): number {
  const started = performance.now();
  run();
  return (performance.now() - started) / 1000;
}

/** Best of a few runs after a warm-up, in operations per second. */
function perSecond(operations: number, run: () => void): number {
  run();
  const seconds = Math.min(timed(run), timed(run), timed(run));
  return operations / seconds;
}

const events = busyCustomer(EVENTS);
const lambda = Math.LN2 / (model.params.halfLifeDays * DAY);
const instants = events.map((event) => Date.parse(event.occurredAt));
const values = events.map((_, i) => (i % 7) + 0.5);

let sink = 0;
let state: State = model.empty();

/** The floor: one decayed double per event, instants already parsed. */
function decayedSum(instantOf: (i: number) => number): () => void {
  return () => {
    for (let round = 0; round < ROUNDS; round++) {
      let sum = 0;
      let reference = instantOf(0);
      for (let i = 0; i < EVENTS; i++) {
        const at = instantOf(i);
        if (at > reference) {
          sum *= Math.exp(-(at - reference) * lambda);
          reference = at;
        }
        sum += (values[i] ?? 0) * Math.exp(-(reference - at) * lambda);
      }
      sink += sum;
    }
  };
}

const baseline = perSecond(
  EVENTS * ROUNDS,
  decayedSum((i) => instants[i] ?? 0),
);
const parsing = perSecond(
  EVENTS * ROUNDS,
  decayedSum((i) => instantMs(events[i]?.occurredAt ?? '')),
);

const applies = perSecond(EVENTS * ROUNDS, () => {
  for (let round = 0; round < ROUNDS; round++) {
    state = events.reduce((folded, event) => model.apply(folded, event), model.empty());
  }
});

const reads = perSecond(EVENTS * ROUNDS, () => {
  for (let i = 0; i < EVENTS * ROUNDS; i++)
    sink += model.at(state, state.t + (i % 1000) * HOUR).engagement;
});

const bytes = JSON.stringify(model.toJSON(state)).length;
const format = (rate: number) => `${(rate / 1e6).toFixed(2)} M/s`;

console.log(`one customer, ${EVENTS} events (${ROUNDS} folds), node ${process.version}`);
console.table({
  'baseline: decayed-sum loop': { rate: format(baseline) },
  'baseline + parsing occurredAt': { rate: format(parsing) },
  'apply (events/s)': { rate: format(applies) },
  'at (reads/s)': { rate: format(reads) },
});
console.log(`serialized state: ${bytes} bytes (JSON)`);
if (Number.isNaN(sink)) console.log('(sink)');
