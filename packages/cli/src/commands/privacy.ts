import { ErasureReceiptSchema } from '@rapport/schema';
import { z } from 'zod';
import { apiAdminUsage, defineCommand } from '../command.js';
import { keyRefused } from './followup.js';

/** An erasure lists, terminates and deletes a person's workflows: it may take a few seconds. */
const ERASE_TIMEOUT_MS = 60_000;

export const eraseCommand = defineCommand({
  name: 'erase',
  synopsis: 'erase <id>',
  summary: 'Erase a person, every id merged into them included (an admin key).',
  usage: `Usage: rapport erase <customer id> [--json]

Erases the person the id belongs to, with every id merged into them, through the query API's
admin route (DELETE /v1/customers/<id>): their ids join the suppression list (as keyed hashes,
never as themselves), so new events about them are refused and nothing replays them back;
their records, history, timelines, index and change-stream entries leave Redis; their
workflows and follow-ups are terminated and deleted. Prints the receipt: what was removed where.
What the log keeps, and for how long: docs/identity.md.

  --json            print the receipt as JSON
${apiAdminUsage(20)}

Exit code: 0 once erased; 1 when the key is refused, or the API or Temporal cannot be reached
(erase again: it completes what was left); 2 on a usage error.`,
  server: 'api-admin',
  operand: 'customer id',
  flags: { json: { type: 'boolean', default: false } },
  async run({ flags, operand: customerId, api }) {
    const receipt = await api
      .delete(
        `/v1/customers/${encodeURIComponent(customerId)}`,
        ErasureReceiptSchema,
        ERASE_TIMEOUT_MS,
      )
      .catch((error: unknown) => {
        throw keyRefused(error) ?? error;
      });
    if (flags.json) {
      console.log(JSON.stringify(receipt, null, 2));
      return 0;
    }
    const { redis, temporal } = receipt;
    console.log(
      [
        `erased       ${receipt.erased.join(', ')}`,
        `suppressed   ${receipt.suppressed} ids (keyed hashes): their events are refused and skipped from now on`,
        `redis        ${redis.keys} keys, ${redis.indexEntries} index entries, ${redis.changes} change-stream entries removed`,
        `temporal     ${temporal.terminated} runs terminated, ${temporal.deleted} runs deleted`,
        `dead letters ${receipt.deadLetters}`,
        `log          ${receipt.log}`,
      ].join('\n'),
    );
    return 0;
  },
});

export const exportCommand = defineCommand({
  name: 'export',
  synopsis: 'export <id>',
  summary: 'Everything Rapport holds about a person, as JSON (an admin key).',
  usage: `Usage: rapport export <customer id>

Prints, as one JSON document, everything Rapport holds about the person the id belongs to
(GET /v1/customers/<id>/export): their ids, the state read now, history, timeline, the merged
ids' timelines from before the merge, and the engagement workflow with its follow-ups. What a
data-subject access request needs.

${apiAdminUsage(20)}

Exit code: 0 when exported; 1 when Rapport holds nothing about the id, the key is refused, or
the API or Temporal cannot be reached; 2 on a usage error.`,
  server: 'api-admin',
  operand: 'customer id',
  flags: {},
  async run({ operand: customerId, api }) {
    const document = await api
      .get(
        `/v1/customers/${encodeURIComponent(customerId)}/export`,
        z.record(z.string(), z.unknown()),
      )
      .catch((error: unknown) => {
        throw keyRefused(error) ?? error;
      });
    console.log(JSON.stringify(document, null, 2));
    return 0;
  },
});
