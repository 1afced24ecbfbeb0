import { ChangeSchema, type Change } from '@rapport/read-model';
import { API_USAGE, defineCommand } from '../command.js';
import { untilInterrupted } from '../interrupt.js';
import { fixed } from '../output.js';

export function formatChange(change: Change): string {
  return [
    change.changedAt.slice(11, 19),
    change.customerId,
    change.status.padEnd(8),
    change.stage.padEnd(10),
    `engagement ${fixed(change.engagement).padStart(5)}`,
    `trust ${fixed(change.trust, 2)}`,
    change.eventId === null ? '' : `(${change.eventId})`,
  ]
    .join('  ')
    .trimEnd();
}

export const tailCommand = defineCommand({
  name: 'tail',
  synopsis: 'tail',
  summary: 'State changes as they happen (--customer, --status filter them).',
  usage: `Usage: rapport tail [--customer <id>] [--status engaged|cooling|at_risk|dormant]

State changes as they happen (Ctrl-C stops); a dropped connection resumes where it left off.

${API_USAGE}`,
  server: 'api',
  flags: {
    customer: { type: 'string' },
    status: { type: 'string' },
  },
  async run({ flags, api }) {
    const query = new URLSearchParams();
    if (flags.customer !== undefined) query.set('customer', flags.customer);
    if (flags.status !== undefined) query.set('status', flags.status);
    const suffix = query.size > 0 ? `?${query.toString()}` : '';
    await untilInterrupted(async (signal) => {
      for await (const event of api.events(`/v1/stream${suffix}`, signal)) {
        if (event.event === 'gap') {
          console.log('  (some changes were trimmed from the stream while disconnected)');
          continue;
        }
        const change = ChangeSchema.safeParse(JSON.parse(event.data));
        if (change.success) console.log(formatChange(change.data));
      }
    });
    return 0;
  },
});
