import { FollowUpBodySchema, FollowUpRequestedSchema } from '@rapport/schema';
import { CliError, usageError } from '../cli-errors.js';
import { ApiRefusedError } from '../clients/api.js';
import { apiAdminUsage, defineCommand } from '../command.js';

/** A customer id as a shell reads it back: bare when it can be, else single-quoted. */
export const shellWord = (text: string) =>
  /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;

/** A refused key, with how to give the right one; `undefined` for any other failure. */
export function keyRefused(error: unknown): CliError | undefined {
  if (!(error instanceof ApiRefusedError) || (error.status !== 401 && error.status !== 403)) {
    return undefined;
  }
  return new CliError(
    'API_REFUSED',
    `${error.message}; give an admin key with --key KEY, or set RAPPORT_ADMIN_KEYS`,
  );
}

export const followupCommand = defineCommand({
  name: 'followup',
  synopsis: 'followup start <id>',
  summary: "Ask a customer's workflow for a follow-up now (an admin key).",
  usage: `Usage: rapport followup start <customer id> [--playbook <name>] [--json]

Asks the customer's engagement workflow for a follow-up now, through the query API's admin
route (POST /v1/customers/<id>/follow-ups): --playbook names the playbook to run, else the
first playbook whose triggers include manual (the default win-back) runs for the customer's
stage. The workflow records the request as a drop
(trigger manual) and decides: it starts the playbook, unless a follow-up is running already
(decision running) or no playbook has that name (no_playbook). \`rapport workflow <id>\` shows
the decision and the follow-up.

  --playbook NAME   the playbook to run (a name from the worker's playbooks, e.g. win-back)
  --json            print the API's answer as JSON
${apiAdminUsage(20)}

Exit code: 0 when the workflow got the request; 1 when the customer has no workflow, the key
is refused, or the API or Temporal cannot be reached; 2 on a usage error.`,
  server: 'api-admin',
  operand: ['action (start)', 'customer id'],
  flags: {
    playbook: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  async run({ flags, operands: [action, customerId], api }) {
    if (action !== 'start') throw usageError(`unknown action "${action}"`);
    const body = FollowUpBodySchema.safeParse(
      flags.playbook === undefined ? {} : { playbook: flags.playbook },
    );
    if (!body.success) {
      throw usageError(`--playbook: ${body.error.issues[0]?.message ?? 'not a playbook name'}`);
    }
    const answer = await api
      .post(
        `/v1/customers/${encodeURIComponent(customerId)}/follow-ups`,
        body.data,
        FollowUpRequestedSchema,
      )
      .catch((error: unknown) => {
        throw keyRefused(error) ?? error;
      });
    if (flags.json) {
      console.log(JSON.stringify(answer, null, 2));
      return 0;
    }
    const playbook =
      answer.playbook === null ? 'the first playbook for manual requests' : answer.playbook;
    console.log(
      [
        `follow-up requested for customer ${answer.customerId}: ${playbook}`,
        'The workflow decides: it starts the playbook, unless a follow-up is running (running) or',
        'no playbook has that name (no_playbook). The decision, as a manual drop, and the follow-up:',
        `  rapport workflow ${shellWord(answer.customerId)}`,
      ].join('\n'),
    );
    return 0;
  },
});
