import type { Config } from '@rapport/config';
import { usageError } from '../cli-errors.js';
import type { GatewayTarget } from '../clients/gateway.js';
import { defineCommand, gatewayUsage, wholeNumber } from '../command.js';
import { describeListed, listDeadLetters } from '../dead-letters/list.js';
import { replayDeadLetters } from '../dead-letters/resubmit.js';

export const dlqCommand = defineCommand({
  name: 'dlq',
  synopsis: 'dlq list|replay',
  summary: 'List dead letters; re-submit them once their cause is fixed.',
  usage: `Usage: rapport dlq list [--limit N] [--source S]
       rapport dlq replay [--source S] [--mapping FILE]

list     the newest dead letters (default 20): where, when, source, why, and the original
replay   re-submit dead letters through the gateway once their cause is fixed: webhook
         bodies to their channel (signed when RAPPORT_CHANNEL_SECRETS has the channel), CSV
         rows mapped again with --mapping (default: canonical column names). Letters that
         still fail are listed with the reason and not sent. Safe to repeat: the gateway
         de-duplicates by eventId.

  --source S        csv, webhook:email, or webhook for every channel
  --limit N         list: how many (default 20)
  --mapping FILE    replay: the mapping for csv letters
${gatewayUsage(20)}

Exit code: 0; replay: 1 when any letter still fails; 2 on a usage error.`,
  server: 'gateway',
  operand: 'action (list or replay)',
  flags: {
    source: { type: 'string' },
    limit: { type: 'string', default: '20' },
    mapping: { type: 'string' },
  },
  async run({ flags, operand: action, config, gateway }) {
    if (action === 'list') {
      return list(config, wholeNumber('--limit', flags.limit, 1), flags.source);
    }
    if (action === 'replay') return replay(config, gateway, flags.source, flags.mapping);
    throw usageError(`unknown action "${action}"`);
  },
});

async function list(config: Config, limit: number, source: string | undefined): Promise<number> {
  const found = await listDeadLetters(config, { limit, source });
  for (const listed of found.letters) console.log(describeListed(listed));
  const filter = source === undefined ? '' : ` from ${source}`;
  console.log(
    `rapport dlq: ${found.letters.length} shown of ${found.matching} dead letter(s)${filter} on ${config.kafka.topics.dlq} (${found.total} in all)`,
  );
  return 0;
}

async function replay(
  config: Config,
  target: GatewayTarget,
  source: string | undefined,
  mappingFile: string | undefined,
): Promise<number> {
  const summary = await replayDeadLetters(config, { source, mappingFile, target });
  for (const failure of summary.stillFailing) {
    console.log(
      `still failing ${failure.partition}/${failure.offset} ${failure.source}: ${failure.reason}`,
    );
  }
  for (const skip of summary.skipped) {
    console.log(`skipped ${skip.partition}/${skip.offset} ${skip.source}: ${skip.reason}`);
  }
  console.log(
    `rapport dlq replay: ${summary.letters} letter(s): ${summary.resubmitted} re-submitted ` +
      `(${summary.accepted} events accepted, ${summary.duplicates} duplicates), ` +
      `${summary.stillFailing.length} still failing, ${summary.skipped.length} skipped`,
  );
  return summary.stillFailing.length === 0 ? 0 : 1;
}
