import type { Interaction, Issue } from '@rapport/schema';
import { CliError } from './cli-errors.js';
import type { GatewayClient } from './gateway-client.js';

/** Something sent as one event of a batch: a CSV row, a replayed dead letter. */
export interface Submission {
  readonly event: Interaction;
}

export interface Refusal<T> {
  readonly item: T;
  readonly issues: readonly Issue[];
}

export interface Submitted<T> {
  readonly accepted: number;
  readonly duplicates: number;
  /** Items the gateway refused although they passed the local checks (a newer gateway, say). */
  readonly refused: readonly Refusal<T>[];
}

/**
 * Sends items as one batch. Rows are checked locally with the gateway's own functions first, so a
 * 400 should not happen; when it does, the gateway names each refused item (`batch.3.value`):
 * those are set aside with its issues and the rest is sent again, so one bad row never holds up
 * its 499 neighbours.
 */
export async function submitBatch<T extends Submission>(
  client: GatewayClient,
  items: readonly T[],
): Promise<Submitted<T>> {
  const refused: Refusal<T>[] = [];
  let pending = items;
  while (pending.length > 0) {
    const outcome = await client.postBatch(pending.map((item) => item.event));
    if (outcome.ok) {
      return { accepted: outcome.counts.accepted, duplicates: outcome.counts.duplicates, refused };
    }
    const byIndex = issuesByIndex(outcome.issues, pending.length);
    pending.forEach((item, index) => {
      const issues = byIndex.get(index);
      if (issues !== undefined) refused.push({ item, issues });
    });
    pending = pending.filter((_, index) => !byIndex.has(index));
  }
  return { accepted: 0, duplicates: 0, refused };
}

const ITEM_PATH = /^batch\.(\d+)(?:\.(.*))?$/;

/** The gateway's issues per batch index, with the index taken off their paths. */
export function issuesByIndex(issues: readonly Issue[], size: number): Map<number, Issue[]> {
  const byIndex = new Map<number, Issue[]>();
  for (const issue of issues) {
    const match = ITEM_PATH.exec(issue.path);
    const index = Number(match?.[1] ?? Number.NaN);
    // An issue about the request as a whole would refuse every resend the same way.
    if (!(index < size)) {
      throw new CliError(
        'GATEWAY_REFUSED',
        `the gateway refused the batch: ${issue.path || '(body)'}: ${issue.message}`,
      );
    }
    const found = byIndex.get(index) ?? [];
    found.push({ path: match?.[2] ?? '', message: issue.message });
    byIndex.set(index, found);
  }
  return byIndex;
}
