import { GENERIC_SIGNATURE, type ChannelAdapter } from '@rapport/adapters';
import { signatureMatches } from '@rapport/adapters/node';
import { futureIssues, type ChannelResult, type Interaction, type Issue } from '@rapport/schema';
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import type { RouteContext } from '../app.js';
import { ApiError, publishFailed, underPath } from '../errors.js';
import { budgetOf, ingest } from '../ingest.js';
import { adaptedLimitIssues } from '../validate.js';

/**
 * `POST /v1/channels/:channel`: provider webhooks through the channel's adapter. Providers do not
 * read error bodies and retry on failure, so a payload that cannot be mapped is dead-lettered with
 * its reason and answered 202: nothing is lost, and the provider stops retrying it.
 */
export const channelRoutes =
  (context: RouteContext): FastifyPluginCallback =>
  (app, _options, done) => {
    const adapters = new Map(context.deps.adapters.map((adapter) => [adapter.channel, adapter]));
    const secrets = context.deps.config.gateway.channelSecrets;
    // A channel with a secret is authenticated by the provider's signature over the body; any
    // other request needs a write key, checked before its body is read.
    const signed = (request: FastifyRequest) => {
      const { channel } = request.params as { channel: string };
      return adapters.has(channel) && secrets[channel] !== undefined;
    };
    const options = { config: { access: 'write', signed } } as const;
    app.post<{ Params: { channel: string } }>(
      '/v1/channels/:channel',
      options,
      async (request, reply) => {
        const adapter = adapters.get(request.params.channel);
        if (!adapter) {
          throw new ApiError(
            404,
            'UNKNOWN_CHANNEL',
            `no channel "${request.params.channel}"; known: ${[...adapters.keys()].sort().join(', ')}`,
          );
        }
        const source = `webhook:${adapter.channel}`;
        const secret = secrets[adapter.channel];
        if (secret !== undefined) verifySignature(adapter, secret, request);
        const now = context.now();
        const receivedAt = new Date(now).toISOString();
        const adapted = adapter.adapt(request.body, { receivedAt });
        const issues = adapted.ok
          ? [
              ...adaptedLimitIssues(adapted.events),
              ...adapted.events.flatMap((event, index) =>
                underPath(String(index), futureIssues(event, now)),
              ),
            ]
          : adapted.issues;
        if (issues.length > 0) {
          await deadLetter(context, source, receivedAt, request.rawBody, issues);
          return reply
            .code(202)
            .send({ accepted: 0, duplicates: 0, deadLettered: 1 } satisfies ChannelResult);
        }
        const events: Interaction[] = adapted.ok ? adapted.events : [];
        const result = await ingest(context, events, {
          source,
          scope: source,
          budget: secret === undefined ? budgetOf(request) : source,
        });
        return reply.code(202).send({ ...result, deadLettered: 0 } satisfies ChannelResult);
      },
    );
    done();
  };

function verifySignature(adapter: ChannelAdapter, secret: string, request: FastifyRequest): void {
  const spec = adapter.signature ?? GENERIC_SIGNATURE;
  const presented = request.headers[spec.header.toLowerCase()];
  if (
    !signatureMatches(
      spec,
      secret,
      request.rawBody ?? Buffer.alloc(0),
      typeof presented === 'string' ? presented : undefined,
    )
  ) {
    throw new ApiError(
      401,
      'BAD_SIGNATURE',
      `missing or wrong ${spec.header} signature for channel "${adapter.channel}"`,
    );
  }
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
