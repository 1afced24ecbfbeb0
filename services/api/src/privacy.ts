import { setTimeout as sleep } from 'node:timers/promises';
import type { Identities } from '@rapport/identity';
import { ApiError } from '@rapport/lifecycle';
import type { Model } from '@rapport/model';
import {
  customerView,
  eraseFromReadModel,
  type KeySpace,
  type ReadModelErasure,
  type ReadModelReader,
  type RedisClient,
} from '@rapport/read-model';
import type { ErasureReceipt } from '@rapport/schema';
import type { Workflows } from './workflows.js';

export interface PrivacyDeps {
  readonly identities: Identities;
  readonly redis: RedisClient;
  readonly keys: KeySpace;
  readonly reader: ReadModelReader;
  readonly model: Model;
  readonly workflows: Workflows;
  readonly generation: () => Promise<string>;
  readonly now: () => number;
  /** The topics' retention as configured (undefined: the broker's default). */
  readonly retentionMs: number | undefined;
  readonly topics: { readonly interactions: string; readonly dlq: string };
}

/**
 * A projection fetch or a bridge batch that checked the suppression list just before the erasure
 * may still be writing: the Redis and Temporal sweeps run again once that has passed.
 */
const SETTLE_MS = 1_500;

const retention = (ms: number | undefined) =>
  ms === undefined
    ? "the broker's default retention (7 days unless its operator changed it)"
    : ms < 0
      ? 'forever (RAPPORT_TOPIC_RETENTION=forever): set a retention to bound it'
      : `${Math.round(ms / 3_600_000)} hours (RAPPORT_TOPIC_RETENTION)`;

/**
 * Erases the person `id` belongs to, every id merged into them included: suppressed first (so
 * nothing new about them is accepted or written from here on), then removed from Redis and from
 * Temporal, then swept once more after in-flight work settled. Idempotent: erasing again (after a
 * 503 from Temporal, say) completes what was left.
 */
export async function erasePerson(deps: PrivacyDeps, id: string): Promise<ErasureReceipt> {
  const person = await deps.identities.suppress(id);
  const ids = [person.id, ...person.merged];
  const first = await eraseFromReadModel(deps.redis, deps.keys, ids);
  const firstRuns = await deps.workflows.erase(ids);
  const none = { keys: 0, indexEntries: 0, changes: 0 };
  const held = first.keys + first.indexEntries + first.changes + firstRuns.deleted > 0;
  // Nothing held means nothing of theirs was being written either (no record, no workflow).
  if (held) await sleep(SETTLE_MS);
  const second = held ? await eraseFromReadModel(deps.redis, deps.keys, ids) : none;
  const secondRuns = held ? await deps.workflows.erase(ids) : { terminated: 0, deleted: 0 };
  // Last: until here an erasure cut short (Temporal away, the API stopped) finds the person's
  // ids again when it is asked again.
  await deps.identities.forget(person);
  const sum = (a: ReadModelErasure, b: ReadModelErasure): ReadModelErasure => ({
    keys: a.keys + b.keys,
    indexEntries: a.indexEntries + b.indexEntries,
    changes: a.changes + b.changes,
  });
  return {
    customerId: id,
    erased: ids,
    suppressed: ids.length,
    redis: sum(first, second),
    temporal: {
      terminated: firstRuns.terminated + secondRuns.terminated,
      deleted: firstRuns.deleted + secondRuns.deleted,
    },
    deadLetters: `skipped by every reader (rapport dlq) from now on; kept in ${deps.topics.dlq} for ${retention(deps.retentionMs)}`,
    log: `their events already in ${deps.topics.interactions} stay there for ${retention(deps.retentionMs)}; the projector, the bridge, rapport replay and dead-letter replay skip them`,
  };
}

/**
 * Everything Rapport holds about a person, as one document (a data-subject access request): the
 * ids that are theirs, the state as read now, the history and timeline, the merged ids' own
 * timelines from before the merge, and the workflow with its follow-ups.
 */
export async function exportPerson(deps: PrivacyDeps, id: string) {
  const person = await deps.identities.person(id);
  const generation = await deps.generation();
  const stored = await deps.reader.customer(generation, person.id);
  const workflow = await deps.workflows.describe(person.id);
  if (stored === undefined && workflow === null && person.merged.length === 0) {
    throw new ApiError(
      404,
      'CUSTOMER_NOT_FOUND',
      `Rapport holds nothing about ${JSON.stringify(id)}: no event of theirs was projected, and no workflow runs for them`,
    );
  }
  const now = deps.now();
  return {
    customerId: person.id,
    exportedAt: new Date(now).toISOString(),
    identities: [person.id, ...person.merged],
    state: stored === undefined ? null : customerView(person.id, stored, deps.model, now),
    history: await deps.reader.history(generation, person.id),
    timeline: await deps.reader.timeline(generation, person.id, 100_000),
    merged: await Promise.all(
      person.merged.map(async (merged) => ({
        customerId: merged,
        timeline: await deps.reader.timeline(generation, merged, 100_000),
      })),
    ),
    workflow,
  };
}
