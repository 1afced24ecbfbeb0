import { GENERIC_SIGNATURE, type ChannelAdapter } from '@rapport/adapters';
import { loadConfig, type Config } from '@rapport/config';
import {
  createKafka,
  DeadLetterSchema,
  parseRecord,
  readTopic,
  type ConsumedRecord,
  type DeadLetter,
} from '@rapport/kafka';
import { futureIssues, type Interaction, type Issue } from '@rapport/schema';
import { channelAdapters, signatureHeader } from '@rapport/gateway';
import { usageError } from './cli-errors.js';
import { GATEWAY_FLAGS, gatewayUsage, parseFlags, runCommand } from './command.js';
import {
  GatewayClient,
  gatewayTarget,
  type GatewayTarget,
  type RetryPolicy,
} from './gateway-client.js';
import { createRowMapper, loadCsvMapping, type CsvMapping, type RowMapper } from './rows.js';
import { submitBatch } from './submit.js';
import { parseRow } from './wire.js';

/** Where a dead letter sits on the topic. */
export interface LetterRef {
  readonly partition: number;
  readonly offset: string;
  readonly source: string;
}

export type ListedLetter = LetterRef & {
  readonly timestampMs: number;
} & (
    | { readonly ok: true; readonly letter: DeadLetter }
    /** A record on the topic that is not a dead letter: shown, never hidden. */
    | { readonly ok: false; readonly issues: readonly Issue[]; readonly raw: string }
  );

export interface ListOptions {
  /** Show the newest this many. */
  readonly limit: number;
  /** `csv`, `webhook:email`, or `webhook` for every webhook channel. */
  readonly source?: string | undefined;
}

export interface DeadLetterList {
  /** Every record on the topic. */
  readonly total: number;
  /** Those the source filter kept. */
  readonly matching: number;
  /** The newest `limit` of them, oldest first. */
  readonly letters: readonly ListedLetter[];
}

/** `webhook` matches `webhook:email`, as a folder matches its files; `csv` matches `csv`. */
export function matchesSource(source: string, filter: string | undefined): boolean {
  return filter === undefined || source === filter || source.startsWith(`${filter}:`);
}

/** Reads the dead-letter topic up to its end now and keeps the newest `limit` matching letters. */
export async function listDeadLetters(
  config: Config,
  options: ListOptions,
): Promise<DeadLetterList> {
  let total = 0;
  let matching = 0;
  let kept: ListedLetter[] = [];
  const newestFirst = (a: ListedLetter, b: ListedLetter) => b.timestampMs - a.timestampMs;
  for await (const listed of deadLetters(config)) {
    total += 1;
    if (!matchesSource(listed.source, options.source)) continue;
    matching += 1;
    kept.push(listed);
    // Bounded: trim to the newest `limit` whenever twice that many piled up.
    if (kept.length >= 2 * options.limit) kept = kept.sort(newestFirst).slice(0, options.limit);
  }
  const letters = kept.sort(newestFirst).slice(0, options.limit).reverse();
  return { total, matching, letters };
}

async function* deadLetters(config: Config): AsyncGenerator<ListedLetter> {
  const kafka = createKafka(config.kafka);
  for await (const record of readTopic(kafka, config.kafka.topics.dlq)) yield listed(record);
}

function listed(record: ConsumedRecord): ListedLetter {
  const at = {
    partition: record.partition,
    offset: record.offset,
    timestampMs: record.timestampMs,
  };
  const parsed = parseRecord(DeadLetterSchema, record);
  if (parsed.ok) return { ...at, source: parsed.value.source, ok: true, letter: parsed.value };
  return {
    ...at,
    source: '(unreadable)',
    ok: false,
    issues: parsed.issues,
    raw: record.value ?? '',
  };
}

const ORIGINAL_CHARS = 100;

export function describeListed(listed: ListedLetter): string {
  const where = `${listed.partition}/${listed.offset}`;
  if (!listed.ok) {
    const issue = listed.issues[0];
    return `${where}  (not a dead letter: ${issue?.path || '(value)'}: ${issue?.message ?? ''})\n    ${truncate(listed.raw)}`;
  }
  const { letter } = listed;
  const context = Object.entries(letter.context ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  return [
    `${where}  ${letter.receivedAt}  ${letter.source}  ${letter.reason.code}  ${letter.reason.message}`,
    ...(context === '' ? [] : [`    ${context}`]),
    `    original: ${truncate(letter.original)}`,
  ].join('\n');
}

const truncate = (text: string) =>
  text.length <= ORIGINAL_CHARS ? text : `${text.slice(0, ORIGINAL_CHARS)}… (${text.length} chars)`;

export interface ReplayOptions {
  readonly source?: string | undefined;
  /** For `csv` letters: the (fixed) mapping; default the canonical-column one. */
  readonly mappingFile?: string | undefined;
  readonly target: GatewayTarget;
  readonly retry?: RetryPolicy;
  readonly now?: () => number;
}

export interface ReplayFailure extends LetterRef {
  readonly reason: string;
}

export interface ReplaySummary {
  /** Letters the source filter kept. */
  readonly letters: number;
  /** Letters the gateway took this time (their events accepted or already there). */
  readonly resubmitted: number;
  /** Events accepted and events the gateway already had (a replay repeated). */
  readonly accepted: number;
  readonly duplicates: number;
  readonly stillFailing: readonly ReplayFailure[];
  /** Letters no replay can help: other sources (poison records), unreadable records. */
  readonly skipped: readonly ReplayFailure[];
}

const BATCH = 500;

/**
 * Re-submits dead letters through the gateway: a webhook's original body to its channel route
 * (signed when the channel has a secret), a CSV row mapped again with the given mapping. Each is
 * checked locally first with the same adapters, so a letter that still fails is reported with
 * its issues and not sent, which would only dead-letter it again. Safe to repeat: the gateway
 * de-duplicates by eventId, and letters stay on the topic.
 */
export async function replayDeadLetters(
  config: Config,
  options: ReplayOptions,
): Promise<ReplaySummary> {
  const now = options.now ?? Date.now;
  const client = new GatewayClient(options.target, { source: 'dlq-replay', retry: options.retry });
  const csv = new CsvReplay(await loadCsvMapping(options.mappingFile));
  const webhooks = new WebhookReplay(
    config,
    client,
    new Map((await channelAdapters(config)).map((adapter) => [adapter.channel, adapter])),
  );
  const stillFailing: ReplayFailure[] = [];
  const skipped: ReplayFailure[] = [];
  const totals = { letters: 0, resubmitted: 0, accepted: 0, duplicates: 0 };
  let batch: { event: Interaction; ref: LetterRef }[] = [];

  const flush = async () => {
    const sent = await submitBatch(client, batch);
    totals.accepted += sent.accepted;
    totals.duplicates += sent.duplicates;
    totals.resubmitted += batch.length - sent.refused.length;
    for (const { item, issues } of sent.refused) {
      stillFailing.push({ ...item.ref, reason: `the gateway refused it: ${describe(issues)}` });
    }
    batch = [];
  };

  for await (const listed of deadLetters(config)) {
    if (!matchesSource(listed.source, options.source)) continue;
    totals.letters += 1;
    const ref: LetterRef = {
      partition: listed.partition,
      offset: listed.offset,
      source: listed.source,
    };
    if (!listed.ok) {
      skipped.push({ ...ref, reason: `not a dead letter: ${describe(listed.issues)}` });
    } else if (listed.source === 'csv') {
      const mapped = csv.map(listed.letter, now());
      if (!mapped.ok) stillFailing.push({ ...ref, reason: mapped.reason });
      else batch.push({ event: mapped.event, ref });
      if (batch.length >= BATCH) await flush();
    } else if (listed.source.startsWith('webhook:')) {
      const result = await webhooks.replay(
        listed.source.slice('webhook:'.length),
        listed.letter,
        now(),
      );
      if (!result.ok) stillFailing.push({ ...ref, reason: result.reason });
      else {
        totals.resubmitted += 1;
        totals.accepted += result.accepted;
        totals.duplicates += result.duplicates;
      }
    } else {
      skipped.push({ ...ref, reason: `letters from "${listed.source}" are not replayable` });
    }
  }
  if (batch.length > 0) await flush();
  return { ...totals, stillFailing, skipped };
}

type Replayed =
  | { readonly ok: true; readonly accepted: number; readonly duplicates: number }
  | { readonly ok: false; readonly reason: string };

/** CSV rows, mapped as the import did: same mapping rules, the channel `--channel` gave then. */
class CsvReplay {
  readonly #csv: CsvMapping;
  readonly #mappers = new Map<string, RowMapper>();

  constructor(csv: CsvMapping) {
    this.#csv = csv;
  }

  map(
    letter: DeadLetter,
    nowMs: number,
  ): { ok: true; event: Interaction } | { ok: false; reason: string } {
    const row = parseRow(letter.original);
    if (row === undefined) {
      return {
        ok: false,
        reason: `not a CSV row (${letter.reason.code}): fix the file and import it again`,
      };
    }
    const channel = letter.context?.['channel'];
    const mapper = this.#mapper(typeof channel === 'string' ? channel : undefined);
    const mapped = mapper(row, nowMs);
    return mapped.ok ? mapped : { ok: false, reason: describe(mapped.issues) };
  }

  #mapper(channel: string | undefined): RowMapper {
    const key = channel ?? '';
    let mapper = this.#mappers.get(key);
    if (mapper === undefined) {
      mapper = createRowMapper(this.#csv, channel);
      this.#mappers.set(key, mapper);
    }
    return mapper;
  }
}

/** Webhook bodies, re-POSTed verbatim to their channel's route. */
class WebhookReplay {
  constructor(
    private readonly config: Config,
    private readonly client: GatewayClient,
    private readonly adapters: ReadonlyMap<string, ChannelAdapter>,
  ) {}

  async replay(channel: string, letter: DeadLetter, nowMs: number): Promise<Replayed> {
    const adapter = this.adapters.get(channel);
    if (adapter !== undefined) {
      const issues = adaptIssues(adapter, letter.original, nowMs);
      if (issues.length > 0) return { ok: false, reason: describe(issues) };
    }
    const secret = this.config.gateway.channelSecrets[channel];
    const headers =
      secret === undefined
        ? {}
        : signatureHeader(adapter?.signature ?? GENERIC_SIGNATURE, secret, letter.original);
    const answer = await this.client.post(
      `/v1/channels/${encodeURIComponent(channel)}`,
      letter.original,
      headers,
    );
    if (!answer.ok) {
      return {
        ok: false,
        reason: `${answer.status} ${answer.error.code}: ${answer.error.message}`,
      };
    }
    if ((answer.counts.deadLettered ?? 0) > 0) {
      // Checked here first, so the gateway's adapter for the channel is not the one this CLI has.
      const why =
        adapter === undefined
          ? 'this CLI does not know the channel: give it the gateway’s RAPPORT_CHANNEL_MAPPINGS_DIR'
          : 'its adapter for the channel differs from this CLI’s (another mappings folder?)';
      return { ok: false, reason: `the gateway dead-lettered it again: ${why}` };
    }
    return { ok: true, accepted: answer.counts.accepted, duplicates: answer.counts.duplicates };
  }
}

/** What the gateway would say about the body: the adapter's issues and the five-minute rule. */
function adaptIssues(adapter: ChannelAdapter, original: string, nowMs: number): readonly Issue[] {
  let body: unknown;
  try {
    body = JSON.parse(original);
  } catch (error) {
    return [{ path: '', message: `not JSON: ${error instanceof Error ? error.message : ''}` }];
  }
  const adapted = adapter.adapt(body, { receivedAt: new Date(nowMs).toISOString() });
  if (!adapted.ok) return adapted.issues;
  return adapted.events.flatMap((event, index) =>
    futureIssues(event, nowMs).map((issue) => ({ ...issue, path: `${index}.${issue.path}` })),
  );
}

function describe(issues: readonly Issue[]): string {
  const [first] = issues;
  if (first === undefined) return 'refused without issues';
  const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
  return `${first.path || '(body)'}: ${first.message}${more}`;
}

const USAGE = `Usage: rapport dlq list [--limit N] [--source S]
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

Exit code: 0; replay: 1 when any letter still fails; 2 on a usage error.`;

export function dlqCommand(args: readonly string[]): Promise<number> {
  return runCommand('dlq', USAGE, async () => {
    const { values, positionals } = parseFlags(args, {
      ...GATEWAY_FLAGS,
      source: { type: 'string' },
      limit: { type: 'string' },
      mapping: { type: 'string' },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const [action, ...extra] = positionals;
    if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`);
    if (action === 'list') return list(values);
    if (action === 'replay') return replay(values);
    throw usageError(action === undefined ? 'say list or replay' : `unknown action "${action}"`);
  });
}

async function list(flags: { limit?: string | undefined; source?: string | undefined }) {
  const limit = Number(flags.limit ?? 20);
  if (!Number.isInteger(limit) || limit < 1) throw usageError('--limit takes a whole number ≥ 1');
  const config = loadConfig();
  const found = await listDeadLetters(config, { limit, source: flags.source });
  for (const listed of found.letters) console.log(describeListed(listed));
  const filter = flags.source === undefined ? '' : ` from ${flags.source}`;
  console.log(
    `rapport dlq: ${found.letters.length} shown of ${found.matching} dead letter(s)${filter} on ${config.kafka.topics.dlq} (${found.total} in all)`,
  );
  return 0;
}

async function replay(flags: {
  source?: string | undefined;
  mapping?: string | undefined;
  gateway?: string | undefined;
  key?: string | undefined;
}) {
  const config = loadConfig();
  const summary = await replayDeadLetters(config, {
    source: flags.source,
    mappingFile: flags.mapping,
    target: gatewayTarget(config, flags),
  });
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
