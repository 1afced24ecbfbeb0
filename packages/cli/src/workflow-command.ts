import { loadConfig } from '@rapport/config';
// The client alone: the package's index also loads the worker and its native library.
import { describeCustomerAt, type CustomerDescription } from '@rapport/workflows/client';
import { usageError } from './cli-errors.js';
import { parseFlags, runCommand } from './command.js';

const USAGE = `Usage: rapport workflow <customer id> [--json]

The customer's engagement workflow as it is now: the model state read at workflow time, what
it has applied (per-partition watermarks), open response deadlines, the next instant it waits
for, the drops it detected and its follow-ups. Asks Temporal directly ($RAPPORT_TEMPORAL_ADDRESS).`;

/** An instant to the second, in UTC. */
const at = (ms: number | null) =>
  ms === null ? '—' : `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
const fixed = (value: number, digits = 1) => value.toFixed(digits);

export function formatWorkflow({ view, followUps }: CustomerDescription): string {
  const { reading, counts } = view;
  const watermarks = Object.entries(view.watermarks)
    .map(([partition, offset]) => `p${partition}@${offset}`)
    .join(' ');
  const requests = view.openRequests.map(
    (request) => `${request.threadId} (${request.channel}) due ${at(request.deadline)}`,
  );
  const drops = view.drops.map(
    (drop) =>
      `${at(drop.at)} ${drop.trigger} (${drop.stage}, engagement ${fixed(drop.engagement)}, ` +
      `trust ${fixed(drop.trust, 2)}) → ${drop.decision}${drop.followUpId === null ? '' : ` ${drop.followUpId}`}`,
  );
  const runs = followUps.map(
    (record) =>
      `${record.id}: ${record.playbook}, started ${at(record.startedAt)}, ` +
      (record.finishedAt === null
        ? `running${record.reengagedAt === null ? '' : `, re-engaged ${at(record.reengagedAt)}`}`
        : `${record.outcome ?? 'finished'} ${at(record.finishedAt)}`),
  );
  const list = (items: string[]) => (items.length === 0 ? '—' : items.join('\n             '));
  return [
    `workflow     customer:${view.customerId} · as of ${at(view.asOf)}`,
    `applied      ${counts.applied} events (${counts.duplicates} duplicates skipped, ${counts.rejected} rejected); ${view.unpublished} derived events unpublished`,
    `status       ${reading.status}, stage ${reading.stage}`,
    `engagement   ${fixed(reading.engagement)}   participation ${fixed(reading.participation)}   trust ${fixed(reading.trust.value, 2)} (confidence ${fixed(reading.trust.confidence, 2)})`,
    `watermarks   ${watermarks || '—'}`,
    `next check   ${view.nextCheck === null ? '—' : `${view.nextCheck.reason} at ${at(view.nextCheck.at)}`}`,
    `open         ${list(requests)}`,
    `drops        ${list(drops)}`,
    `follow-ups   ${list(runs)}`,
  ].join('\n');
}

export async function workflowCommand(args: readonly string[]): Promise<number> {
  return runCommand('workflow', USAGE, async () => {
    const { values, positionals } = parseFlags(args, {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const [customerId, ...rest] = positionals;
    if (customerId === undefined || rest.length > 0)
      throw usageError('give exactly one customer id');
    const { temporal } = loadConfig();
    let found: CustomerDescription | null;
    try {
      found = await describeCustomerAt(temporal, customerId);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      console.error(
        `rapport workflow: no answer from Temporal at ${temporal.address} (is the worker ` +
          `running on ${temporal.taskQueue}?): ${reason}`,
      );
      return 1;
    }
    if (found === null) {
      console.error(`rapport workflow: no workflow for customer ${customerId}`);
      return 1;
    }
    console.log(values.json ? JSON.stringify(found, null, 2) : formatWorkflow(found));
    return 0;
  });
}
