import {
  hmacSha256Scheme,
  type Channel,
  type HandshakeAnswer,
  type Verdict,
} from '@rapport/adapters/node';
import { futureIssues, type ChannelResult, type Interaction, type Issue } from '@rapport/schema';
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteContext } from '../app.js';
import { ApiError, publishFailed, underPath } from '../errors.js';
import { budgetOf, ingest } from '../ingest.js';
import { answerOnce } from '../replays.js';
import { adaptedLimitIssues } from '../validate.js';
import { webhookRequest } from '../webhook-request.js';
import { acceptWebhookBodies, webhookPayload } from './webhook-bodies.js';

/**
 * `POST /v1/channels/:channel`: provider webhooks, verified by the channel's scheme over the body
 * exactly as received, then mapped by the channel's adapter. Providers do not read error bodies
 * and retry on failure, so a payload that cannot be mapped is dead-lettered with its reason and
 * answered 202: nothing is lost, and the provider stops retrying it. `GET` answers the endpoint
 * checks of providers that make one (Meta's `hub.challenge`).
 */
export const channelRoutes =
  (context: RouteContext): FastifyPluginCallback =>
  (app, _options, done) => {
    const channels = new Map(context.deps.channels.map((channel) => [channel.name, channel]));
    const known = (name: string): Channel => {
      const channel = channels.get(name);
      if (channel !== undefined) return channel;
      const names = [...channels.keys()].sort().join(', ');
      throw new ApiError(404, 'UNKNOWN_CHANNEL', `no channel "${name}"; known: ${names}`);
    };
    // A channel with a verifier is authenticated by its provider's signature (or, for an endpoint
    // check the provider does not sign, by its scheme); any other request needs a write key,
    // checked before its body is read.
    const signed = (request: FastifyRequest) => {
      const { channel } = request.params as { channel: string };
      return channels.get(channel)?.verifier !== undefined;
    };
    const options = { config: { access: 'write', signed } } as const;
    acceptWebhookBodies(app);

    // Intercom checks an endpoint with an unsigned HEAD before it sends anything: a known channel
    // answers it, empty (declared before the GET, which would otherwise answer HEAD as well).
    app.head<{ Params: { channel: string } }>(
      '/v1/channels/:channel',
      options,
      (request, reply) => {
        known(request.params.channel);
        return reply.code(200).send();
      },
    );

    app.get<{ Params: { channel: string } }>(
      '/v1/channels/:channel',
      options,
      async (request, reply) => {
        const channel = known(request.params.channel);
        const webhook = webhookRequest(request, channel, context.now());
        const answer = channel.verifier?.handshake(webhook, false);
        if (answer === undefined) {
          // Not 405: the path serves GET, for the channels whose provider checks endpoints.
          throw new ApiError(
            404,
            'NOT_FOUND',
            `channel "${channel.name}" has no endpoint check to answer; its provider POSTs webhooks here`,
          );
        }
        return send(reply, answer);
      },
    );

    app.post<{ Params: { channel: string } }>(
      '/v1/channels/:channel',
      options,
      async (request, reply) => {
        const channel = known(request.params.channel);
        const source = `webhook:${channel.name}`;
        const now = context.now();
        let verdict: Verdict | undefined;
        if (channel.verifier !== undefined) {
          const webhook = webhookRequest(request, channel, now);
          verdict = channel.verifier.verify(webhook);
          if (!verdict.ok) {
            context.metrics.webhookRefusals.inc({ channel: channel.name, code: verdict.code });
            throw new ApiError(401, verdict.code, `channel "${channel.name}": ${verdict.message}`);
          }
          const answer = channel.verifier.handshake(webhook, true);
          if (answer !== undefined) return send(reply, answer);
        }
        const receivedAt = new Date(now).toISOString();
        const payload = parsedPayload(request, channel);
        const adapted = payload.ok ? channel.adapter.adapt(payload.value, { receivedAt }) : payload;
        const events: Interaction[] = adapted.ok ? adapted.events : [];
        const issues = adapted.ok
          ? [
              ...adaptedLimitIssues(events),
              ...events.flatMap((event, index) =>
                underPath(String(index), futureIssues(event, now)),
              ),
            ]
          : adapted.issues;
        const answer = async (): Promise<ChannelResult> => {
          if (issues.length > 0) {
            await deadLetter(context, source, receivedAt, request.rawBody, issues);
            return { accepted: 0, duplicates: 0, deadLettered: 1 };
          }
          const { accepted, duplicates } = await ingest(context, events, {
            source,
            scope: source,
            budget: channel.verifier === undefined ? budgetOf(request) : source,
          });
          return { accepted, duplicates, deadLettered: 0 };
        };
        const replay = verdict?.ok === true ? verdict.replay : undefined;
        const result =
          replay === undefined
            ? await answer()
            : await answerOnce(context, source, replay, answer, {
                accepted: 0,
                duplicates: issues.length > 0 ? 0 : events.length,
                deadLettered: 0,
              });
        // Providers count a 200 as delivered (Meta and Mailgun retry anything else), whether the
        // channel names the provider or a mapping file names its scheme; a channel of Rapport's
        // own generic scheme, or behind a write key, answers 202 as the other routes do.
        const byProvider =
          channel.verifier !== undefined && channel.verifier.scheme !== hmacSha256Scheme.name;
        return reply.code(byProvider ? 200 : 202).send(result satisfies ChannelResult);
      },
    );
    done();
  };

/**
 * The body, parsed once its bytes are trusted. One that is not JSON is a 400 to a caller with a
 * write key; from a provider whose signature verified, it is dead-lettered instead (the provider
 * would only send it again), so that nothing it sent is lost.
 */
function parsedPayload(
  request: FastifyRequest,
  channel: Channel,
): { ok: true; value: unknown } | { ok: false; issues: Issue[] } {
  try {
    return { ok: true, value: webhookPayload(request) };
  } catch (error) {
    if (channel.verifier === undefined || !(error instanceof ApiError)) throw error;
    return { ok: false, issues: [{ path: '', message: error.message }] };
  }
}

/** A provider's endpoint check is answered exactly as its scheme says. */
function send(reply: FastifyReply, answer: HandshakeAnswer) {
  return reply.code(answer.status).header('content-type', answer.contentType).send(answer.body);
}

async function deadLetter(
  context: RouteContext,
  source: string,
  receivedAt: string,
  rawBody: Buffer | undefined,
  issues: readonly Issue[],
): Promise<void> {
  try {
    await context.publisher.publishDeadLetters(
      [
        {
          reason: {
            code: 'ADAPTER_REJECTED',
            message: `${issues.length} issue(s), first at ${issues[0]?.path || '(body)'}: ${issues[0]?.message ?? ''}`,
            issues: [...issues],
          },
          source,
          receivedAt,
          original: rawBody?.toString('utf8') ?? '',
        },
      ],
      { timeoutMs: context.publishTimeoutMs },
    );
  } catch (error) {
    throw publishFailed('the dead letter', error);
  }
  context.metrics.events.inc({ source, outcome: 'dead_lettered' });
}
