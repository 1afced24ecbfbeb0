import { StageSchema, StatusSchema, type Model } from '@rapport/model';
import { ChannelSchema, LoggedIdSchema } from '@rapport/schema';
import { ApiError } from '@rapport/lifecycle';
import {
  customerSummary,
  type CustomerList,
  type CustomerSummary,
  type ListIndex,
  type ReadModelReader,
} from '@rapport/read-model';
import { z } from 'zod';

export const SORTS = ['at_risk_at', '-at_risk_at', 'dormant_at', '-dormant_at'] as const;

/** `a,b,c`: any of several values. */
const anyOf = <T extends string>(item: z.ZodType<T, string>) =>
  z
    .string()
    .transform((text) => text.split(',').map((part) => part.trim()))
    .pipe(z.array(item).min(1));

export const ListQuerySchema = z.strictObject({
  /** Status at the request's instant; several comma-separated for any of them. */
  status: anyOf(StatusSchema).optional(),
  /** Lifecycle stage at the request's instant; several comma-separated for any of them. */
  stage: anyOf(StageSchema).optional(),
  /** Customers who interacted on this channel (catalog channels; others are `*`). */
  channel: z.union([ChannelSchema, z.literal('*')]).optional(),
  /**
   * `at_risk_at`: by predicted crossing into at-risk, soonest first (customers not dormant;
   * `status=engaged,cooling&sort=at_risk_at` is who crosses next); `dormant_at`: by when silence
   * makes them dormant. `-` reverses. Default: `at_risk_at` when only engaged, cooling or at-risk
   * customers are asked for, `-dormant_at` (most recently active first) otherwise.
   */
  sort: z.enum(SORTS).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** From the previous page's `nextCursor`. */
  cursor: z.string().min(1).max(2_000).optional(),
});
export type ListRequest = z.infer<typeof ListQuerySchema>;

/** Index entries one request looks at, at most: a rare filter answers a short page instead. */
const SCAN_BUDGET = 2_000;
const CALLS = 4;

/**
 * What a cursor holds, parsed as strictly as anything else a client sends: a forged one must be a
 * 400 here, not an error from the index script.
 */
const CursorSchema = z.strictObject({
  /** The query the cursor belongs to, so a cursor is never applied to another list. */
  q: z.string().max(1_000),
  /** A score as Redis writes it: `-inf`, `inf` or a number. */
  s: z.union([z.enum(['-inf', 'inf']), z.string().regex(/^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/)]),
  /** A customer id as the index holds it, which may predate today's id rules. */
  c: LoggedIdSchema,
});

/** The filters a cursor is bound to (not the limit: pages may differ in size). */
const querySignature = (request: ListRequest, sort: string) =>
  [
    request.status?.join(',') ?? '',
    request.stage?.join(',') ?? '',
    request.channel ?? '',
    sort,
  ].join('|');

function encodeCursor(signature: string, after: { score: string; customerId: string }): string {
  return Buffer.from(
    JSON.stringify({ q: signature, s: after.score, c: after.customerId }),
  ).toString('base64url');
}

function decodeCursor(cursor: string, signature: string) {
  const parsed = CursorSchema.safeParse(
    (() => {
      try {
        return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
      } catch {
        return undefined;
      }
    })(),
  );
  if (!parsed.success || parsed.data.q !== signature) {
    throw new ApiError(
      400,
      'INVALID_CURSOR',
      'the cursor is not one this list issued; start again without it',
      [{ path: 'cursor', message: 'not a cursor of this list' }],
    );
  }
  return { score: parsed.data.s, customerId: parsed.data.c };
}

function sortOf(request: ListRequest): (typeof SORTS)[number] {
  if (request.sort !== undefined) return request.sort;
  const statuses = request.status ?? [];
  return statuses.length > 0 && !statuses.includes('dormant') ? 'at_risk_at' : '-dormant_at';
}

/**
 * One page of customers at instant `now`. The index walk (in Redis) selects by status from each
 * customer's schedule; stage and channel are checked here on the state read at `now`, and every
 * row is read at `now`, so what is listed is what `GET /v1/customers/:id` would say.
 */
export async function listCustomers(
  reader: ReadModelReader,
  model: Model,
  generation: string,
  request: ListRequest,
  now: number,
): Promise<CustomerList> {
  const sort = sortOf(request);
  const index: ListIndex = sort.endsWith('at_risk_at') ? 'at_risk' : 'dormant';
  if (
    index === 'at_risk' &&
    (request.status?.includes('dormant') || request.stage?.includes('dormant'))
  ) {
    throw new ApiError(
      400,
      'VALIDATION_FAILED',
      'dormant customers have no at-risk crossing to sort by; use sort=dormant_at',
      [{ path: 'sort', message: 'not available for dormant customers' }],
    );
  }
  const signature = querySignature(request, sort);
  let after = request.cursor === undefined ? undefined : decodeCursor(request.cursor, signature);
  const items: CustomerSummary[] = [];
  for (let call = 0; call < CALLS && items.length < request.limit; call += 1) {
    const page = await reader.list(generation, {
      index,
      statuses: request.status ?? [],
      order: sort.startsWith('-') ? 'desc' : 'asc',
      now,
      after,
      wanted: request.limit - items.length,
      budget: SCAN_BUDGET,
    });
    const stored = await reader.customers(
      generation,
      page.found.map((entry) => entry.customerId),
    );
    for (const [position, entry] of page.found.entries()) {
      const customer = stored[position];
      after = entry;
      if (customer === undefined) continue;
      const reading = model.at(customer.state, now);
      // The index agrees with the model except within a rounding of a crossing instant.
      if (request.status && !request.status.includes(reading.status)) continue;
      if (request.stage && !request.stage.includes(reading.stage)) continue;
      if (request.channel !== undefined && !(reading.ledger.counts.byChannel[request.channel] ?? 0))
        continue;
      items.push(customerSummary(entry.customerId, reading));
      if (items.length === request.limit) break;
    }
    if (items.length < request.limit) after = page.next;
    if (page.next === undefined && items.length < request.limit) {
      return { asOf: new Date(now).toISOString(), items, nextCursor: null };
    }
  }
  return {
    asOf: new Date(now).toISOString(),
    items,
    nextCursor: after === undefined ? null : encodeCursor(signature, after),
  };
}
