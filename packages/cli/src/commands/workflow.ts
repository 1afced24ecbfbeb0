// The client alone: the package's index also loads the worker and its native library.
import { describeCustomerAt, type CustomerDescription } from '@rapport/workflows/client';
import { CliError } from '../cli-errors.js';
import { defineCommand } from '../command.js';
import { fixed, toSecond } from '../output.js';

export function formatWorkflow({ view, followUps }: CustomerDescription): string {
  const { reading, counts } = view;
  const watermarks = Object.entries(view.watermarks)
    .map(([partition, offset]) => `p${partition}@${offset}`)
    .join(' ');
  const requests = view.openRequests.map(
    (request) => `${request.threadId} (${request.channel}) due ${toSecond(request.deadline)}`,
  );
  const drops = view.drops.map(
    (drop) =>
      `${toSecond(drop.at)} ${drop.trigger} (${drop.stage}, engagement ${fixed(drop.engagement)}, ` +
      `trust ${fixed(drop.trust, 2)}) → ${drop.decision}${drop.followUpId === null ? '' : ` ${drop.followUpId}`}`,
  );
  const runs = followUps.map(
    (record) =>
      `${record.id}: ${record.playbook}, started ${toSecond(record.startedAt)}, ` +
      (record.finishedAt === null
        ? `running${record.reengagedAt === null ? '' : `, re-engaged ${toSecond(record.reengagedAt)}`}`
        : `${record.outcome ?? 'finished'} ${toSecond(record.finishedAt)}`),
  );
  const list = (items: string[]) => (items.length === 0 ? '—' : items.join('\n             '));
  return [
    `workflow     customer:${view.customerId} · as of ${toSecond(view.asOf)}`,
    `applied      ${counts.applied} events (${counts.duplicates} duplicates skipped, ${counts.rejected} rejected); ${view.unpublished} derived events unpublished`,
    `status       ${reading.status}, stage ${reading.stage}`,
    `engagement   ${fixed(reading.engagement)}   participation ${fixed(reading.participation)}   trust ${fixed(reading.trust.value, 2)} (confidence ${fixed(reading.trust.confidence, 2)})`,
    `watermarks   ${watermarks || '—'}`,
    `settled      ${view.settledThrough === null ? 'nothing yet' : `through ${toSecond(view.settledThrough)}`}; ${view.pending} events waiting out the allowed lateness${counts.late > 0 ? `; ${counts.late} arrived too late to judge` : ''}`,
    `next check   ${view.nextCheck === null ? '—' : `${view.nextCheck.reason} at ${toSecond(view.nextCheck.at)}`}`,
    `open         ${list(requests)}`,
    `drops        ${list(drops)}`,
    `follow-ups   ${list(runs)}`,
  ].join('\n');
}

export const workflowCommand = defineCommand({
  name: 'workflow',
  synopsis: 'workflow <id>',
  summary: "The customer's engagement workflow: state, timers, drops, follow-ups.",
  usage: `Usage: rapport workflow <customer id> [--json]

The customer's engagement workflow as it is now: the model state read at workflow time, what
it has applied (per-partition watermarks), open response deadlines, the next instant it waits
for, the drops it detected and its follow-ups. Asks Temporal directly ($RAPPORT_TEMPORAL_ADDRESS).`,
  operand: 'customer id',
  flags: { json: { type: 'boolean', default: false } },
  async run({ flags, operand: customerId, config: { temporal } }) {
    let found: CustomerDescription | null;
    try {
      found = await describeCustomerAt(temporal, customerId);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CliError(
        'TEMPORAL_UNREACHABLE',
        `no answer from Temporal at ${temporal.address} (is the worker running on ${temporal.taskQueue}?): ${reason}`,
        { retriable: true, cause: error },
      );
    }
    if (found === null) {
      throw new CliError('WORKFLOW_NOT_FOUND', `no workflow for customer ${customerId}`);
    }
    console.log(flags.json ? JSON.stringify(found, null, 2) : formatWorkflow(found));
    return 0;
  },
});
