import { GENERIC_SIGNATURE, type ChannelAdapter } from '@rapport/adapters';
import { channelAdapters, signatureHeader } from '@rapport/adapters/node';
import type { Config } from '@rapport/config';
import type { DeadLetter } from '@rapport/kafka';
import { ChannelResultSchema, futureIssues, type Interaction, type Issue } from '@rapport/schema';
import { GatewayClient, type GatewayTarget, type RetryPolicy } from '../clients/gateway.js';
import { readDeadLetters, type LetterRef } from '../clients/kafka.js';
import { parseRow } from '../csv-import/rejects.js';
import {
  createRowMapper,
  loadCsvMapping,
  type CsvMapping,
  type RowMapper,
} from '../csv-import/row-mapping.js';
import { matchesSource } from './list.js';

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
    new Map((await channelAdapters(config.gateway)).map((adapter) => [adapter.channel, adapter])),
  );
  const stillFailing: ReplayFailure[] = [];
  const skipped: ReplayFailure[] = [];
  const totals = { letters: 0, resubmitted: 0, accepted: 0, duplicates: 0 };
  let batch: { event: Interaction; ref: LetterRef }[] = [];

  const flush = async () => {
    const sent = await client.submitBatch(batch);
    totals.accepted += sent.accepted;
    totals.duplicates += sent.duplicates;
    totals.resubmitted += batch.length - sent.refused.length;
    for (const { item, issues } of sent.refused) {
      stillFailing.push({ ...item.ref, reason: `the gateway refused it: ${describe(issues)}` });
    }
    batch = [];
  };

  for await (const listed of readDeadLetters(config)) {
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
      ChannelResultSchema,
      headers,
    );
    if (!answer.ok) {
      return {
        ok: false,
        reason: `${answer.status} ${answer.error.code}: ${answer.error.message}`,
      };
    }
    if (answer.counts.deadLettered > 0) {
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
