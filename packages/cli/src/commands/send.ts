import { randomUUID } from 'node:crypto';
import {
  parseInteraction,
  type IngestResult,
  type Interaction,
  type Issue,
  type ParseResult,
} from '@rapport/schema';
import { CliError, usageError } from '../cli-errors.js';
import { GatewayClient, type GatewayAnswer, type GatewayTarget } from '../clients/gateway.js';
import { defineCommand, gatewayUsage } from '../command.js';

/** The flags of `rapport send`, as given (text), before the canonical schema checks them. */
export interface SendFlags {
  readonly customer?: string | undefined;
  readonly type?: string | undefined;
  readonly direction?: string | undefined;
  readonly channel?: string | undefined;
  readonly eventId?: string | undefined;
  readonly occurredAt?: string | undefined;
  readonly initiator?: string | undefined;
  readonly value?: string | undefined;
  readonly sentiment?: string | undefined;
  readonly thread?: string | undefined;
  readonly expectsResponse?: boolean | undefined;
  readonly outcome?: string | undefined;
  readonly appeal?: string | undefined;
  readonly properties?: string | undefined;
}

/** The flag each canonical field comes from, so an issue names what the user typed. */
const FLAG_OF: Readonly<Record<string, string>> = {
  customerId: '--customer',
  type: '--type',
  direction: '--direction',
  channel: '--channel',
  eventId: '--event-id',
  occurredAt: '--occurred-at',
  initiator: '--initiator',
  value: '--value',
  sentiment: '--sentiment',
  threadId: '--thread',
  expectsResponse: '--expects-response',
  outcome: '--outcome',
  appeal: '--appeal',
  properties: '--properties',
};

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * One canonical event from flags: eventId defaults to a random UUID and occurredAt to now, and
 * numbers and JSON are read from their text. Everything else is the canonical schema's to judge,
 * so `send` refuses exactly what the gateway would.
 */
export function eventFromFlags(
  flags: SendFlags,
  defaults: { readonly now: number; readonly eventId: string },
): ParseResult<Interaction> {
  let properties: unknown;
  if (flags.properties !== undefined) {
    try {
      properties = JSON.parse(flags.properties);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { ok: false, issues: [{ path: 'properties', message: `not JSON: ${reason}` }] };
    }
  }
  const draft = {
    eventId: flags.eventId ?? defaults.eventId,
    customerId: flags.customer,
    channel: flags.channel,
    type: flags.type,
    direction: flags.direction,
    occurredAt: flags.occurredAt ?? new Date(defaults.now).toISOString(),
    initiator: flags.initiator,
    value: number(flags.value),
    sentiment: number(flags.sentiment),
    threadId: flags.thread,
    expectsResponse: flags.expectsResponse,
    outcome: flags.outcome,
    appeal: flags.appeal,
    properties,
  };
  // The canonical schema is strict about keys, and an absent flag is an absent field.
  return parseInteraction(
    Object.fromEntries(Object.entries(draft).filter(([, value]) => value !== undefined)),
  );
}

/** Numeric text becomes a number; anything else stays text for the schema to refuse by name. */
const number = (text: string | undefined) =>
  text !== undefined && NUMERIC.test(text.trim()) ? Number(text) : text;

const describeIssues = (issues: readonly Issue[]) =>
  issues.map((issue) => `\n  ${flagOf(issue.path)}: ${issue.message}`).join('');

export const flagOf = (path: string) => {
  const [field = ''] = path.split('.');
  const flag = FLAG_OF[field];
  return flag === undefined ? path || '(event)' : `${flag} (${path})`;
};

export type SendResult =
  | { readonly ok: false; readonly issues: readonly Issue[] }
  | {
      readonly ok: true;
      readonly event: Interaction;
      readonly answer: GatewayAnswer<IngestResult>;
    };

/**
 * Builds the event from flags and posts it; an invalid event is not sent. The gateway's answer
 * comes back whatever it is (accepted, duplicate, refused), for the caller to print.
 */
export async function sendFromFlags(
  target: GatewayTarget,
  flags: SendFlags,
  defaults: { readonly now: number; readonly eventId: string } = {
    now: Date.now(),
    eventId: randomUUID(),
  },
): Promise<SendResult> {
  const event = eventFromFlags(flags, defaults);
  if (!event.ok) return { ok: false, issues: event.issues };
  return {
    ok: true,
    event: event.value,
    answer: await new GatewayClient(target, { source: 'cli' }).postEvent(event.value),
  };
}

export const sendCommand = defineCommand({
  name: 'send',
  synopsis:
    'send --customer <id> --type <dotted> --direction inbound|outbound --channel <slug> ...',
  summary: "Send one event and print the gateway's answer.",
  usage: `Usage: rapport send --customer <id> --type <dotted> --direction inbound|outbound
                    --channel <slug> [options]

Sends one interaction event to the gateway and prints its answer.

  --event-id ID          idempotency key (default a random UUID)
  --occurred-at ISO      when it happened, with an offset (default now)
  --initiator customer|business
  --value N              value points, overriding the catalog weight
  --sentiment N          -1 to 1
  --thread ID            conversation the event belongs to
  --expects-response     a request the business must answer
  --outcome kept|broken  promise evidence
  --appeal ethos|pathos|logos
  --properties JSON      an object of extra properties
${gatewayUsage(25)}

Exit code: 0 accepted or a duplicate, 1 refused by the gateway, 2 on a usage error (a flag
the canonical schema refuses is one).`,
  server: 'gateway',
  flags: {
    customer: { type: 'string' },
    type: { type: 'string' },
    direction: { type: 'string' },
    channel: { type: 'string' },
    'event-id': { type: 'string' },
    'occurred-at': { type: 'string' },
    initiator: { type: 'string' },
    value: { type: 'string' },
    sentiment: { type: 'string' },
    thread: { type: 'string' },
    'expects-response': { type: 'boolean' },
    outcome: { type: 'string' },
    appeal: { type: 'string' },
    properties: { type: 'string' },
  },
  async run({ flags, gateway }) {
    const sent = await sendFromFlags(gateway, {
      ...flags,
      eventId: flags['event-id'],
      occurredAt: flags['occurred-at'],
      expectsResponse: flags['expects-response'],
    });
    if (!sent.ok) throw usageError(`invalid event:${describeIssues(sent.issues)}`);
    const { event, answer } = sent;
    if (answer.ok) {
      const verdict = answer.counts.accepted > 0 ? 'accepted' : 'duplicate';
      console.log(`rapport send: ${verdict} ${event.eventId} ${JSON.stringify(answer.counts)}`);
      return 0;
    }
    throw new CliError(
      'GATEWAY_REFUSED',
      `the gateway refused ${event.eventId}: ${answer.status} ${answer.error.code}: ${answer.error.message}${describeIssues(answer.error.issues)}`,
    );
  },
});
