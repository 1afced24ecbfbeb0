import type { Client } from '@temporalio/client';
import type { Config } from '@rapport/config';
import { createModel } from '@rapport/model';
import { describeCustomer } from '@rapport/workflows';
import { followUpStart } from './follow-up-delay.js';
import { httpClient } from './load.js';

/** A customer arranged to cross into a drop at `plannedAt` (epoch ms). */
export interface Crossing {
  readonly customerId: string;
  readonly plannedAt: number;
}

/** A customer's activation: a first purchase and onboarding done, at one instant. */
const ACTIVATION = [
  { type: 'purchase.completed', channel: 'store', direction: 'inbound' },
  { type: 'onboarding.completed', channel: 'app', direction: 'inbound' },
] as const;

/**
 * How long after an activation engagement falls into a drop, read from the model with the
 * default parameters the services run with: the earlier of the fall below the drop threshold and
 * below the share of the peak (docs/workflows.md §3). A week or more: too long to wait for.
 */
function dropAfterActivation(config: Config): number {
  const model = createModel();
  const at = Date.UTC(2026, 0, 1);
  const state = ACTIVATION.reduce(
    (folded, event) => model.apply(folded, { ...event, occurredAt: new Date(at).toISOString() }),
    model.empty(),
  );
  const peak = model.headline(state, at).engagement;
  const thresholds = [
    config.engagement.dropThreshold ?? model.params.thresholds.atRisk,
    config.engagement.relativeDrop.share * peak,
  ];
  const crossings = thresholds.map((threshold) => model.predictedCrossingTime(state, threshold));
  return Math.min(...crossings.map((crossing) => crossing ?? Infinity)) - at;
}

/**
 * Customers whose drop comes during the run, so that their follow-ups start under the load: every
 * `everyMs` one new customer's activation is sent through the gateway, dated so far back that its
 * predicted drop falls `leadMs` after it is sent, with the default model and playbooks (an active
 * customer cooling: the `cooling-active` playbook). Dated in the past, the events are a late
 * arrival, which holds the workflow's decisions for the allowed lateness after they arrive
 * (docs/workflows.md §3): `leadMs` must be longer than that for the drop to be acted on at its
 * instant.
 */
export class CrossingSchedule {
  readonly crossings: Crossing[] = [];
  readonly #gateway: ReturnType<typeof httpClient>;
  readonly #dropAfter: number;
  readonly #timer: NodeJS.Timeout;

  constructor(options: {
    readonly config: Config;
    readonly runId: string;
    readonly gatewayUrl: string;
    readonly writeKey: string;
    readonly leadMs: number;
    readonly everyMs: number;
  }) {
    if (options.leadMs <= options.config.engagement.allowedLatenessMs) {
      throw new Error('a crossing must come after the allowed lateness has passed its events');
    }
    this.#dropAfter = dropAfterActivation(options.config);
    this.#gateway = httpClient(options.gatewayUrl, {
      authorization: `Bearer ${options.writeKey}`,
    });
    const send = () => {
      const customerId = `cross-${options.runId}-${this.crossings.length + 1}`;
      const plannedAt = Date.now() + options.leadMs;
      const occurredAt = new Date(plannedAt - this.#dropAfter).toISOString();
      const batch = ACTIVATION.map((event, index) => ({
        ...event,
        eventId: `${customerId}-${index}`,
        customerId,
        occurredAt,
      }));
      this.crossings.push({ customerId, plannedAt });
      void this.#gateway.send('POST', '/v1/interactions', JSON.stringify({ batch })).catch(() => 0);
    };
    send();
    this.#timer = setInterval(send, options.everyMs);
  }

  /** The crossings planned within [from, to). */
  between(from: number, to: number): Crossing[] {
    return this.crossings.filter(({ plannedAt }) => plannedAt >= from && plannedAt < to);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#gateway.close();
  }
}

/**
 * From each crossing's predicted instant (its workflow's own `dropAt`) to its follow-up workflow's
 * start, and to the durable timer's firing before it, each sorted; a follow-up not started
 * `graceMs` after its planned instant counts Infinity in both, and what its workflow says then is
 * printed (when it will look next, and why; its drops), so that a late start can be told from a
 * drop the workflow does not see. The timer's delay is the server's; the rest of the start's,
 * the worker's and the server's work on the workflow task after it.
 */
export async function followUpDelays(
  client: Client,
  crossings: readonly Crossing[],
  graceMs: number,
): Promise<{ started: number[]; fired: number[] }> {
  const delays = await Promise.all(
    crossings.map(async ({ customerId, plannedAt }) => {
      const started = await followUpStart(client, customerId, plannedAt + graceMs);
      if (started === undefined) await explain(client, customerId, plannedAt);
      return started ?? { startedAfter: Infinity, firedAfter: Infinity };
    }),
  );
  const sorted = (values: number[]) => values.sort((a, b) => a - b);
  return {
    started: sorted(delays.map((delay) => delay.startedAfter)),
    fired: sorted(delays.map((delay) => delay.firedAfter)),
  };
}

async function explain(client: Client, customerId: string, plannedAt: number): Promise<void> {
  const seconds = (at: number) => `${((at - plannedAt) / 1000).toFixed(1)} s`;
  let why: string;
  try {
    const described = await describeCustomer(client, customerId);
    const check = described?.view.nextCheck;
    const drops = described?.view.drops.map(
      (drop) => `${drop.trigger} at ${seconds(drop.at)}: ${drop.decision}`,
    );
    why =
      described === null
        ? 'no workflow'
        : `next check ${check ? `${check.reason} at ${seconds(check.at)}` : 'none'}; drops ${drops?.join(', ') || 'none'}`;
  } catch (error) {
    // The SDK's message is generic; its cause says why (a query timing out in a busy queue).
    const cause =
      error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    why = `no answer (${String(error)}${cause})`;
  }
  console.log(
    `  ${customerId}: no follow-up ${seconds(Date.now())} after its planned instant; ${why}`,
  );
}
