import type { ServerResponse } from 'node:http';
import type { FastifyPluginCallback } from 'fastify';
import { ApiError } from '@rapport/service';
import { StatusSchema } from '@rapport/model';
import { IdSchema } from '@rapport/schema';
import type { ChangeEntry } from '@rapport/store';
import { z } from 'zod';
import type { ApiContext } from '../app';
import { STREAM_ID } from '../feed';
import { parseOrThrow } from '../validate';

const StreamQuerySchema = z.strictObject({
  /** Only this customer's changes. */
  customer: IdSchema.optional(),
  /** Only changes that leave a customer in this status. */
  status: StatusSchema.optional(),
  /** For clients that cannot send the Last-Event-ID header on their first connection. */
  lastEventId: z.string().regex(STREAM_ID).optional(),
});

/** A slow client is dropped past this much unsent data; it resumes with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1 << 20;
/** What EventSource waits before reconnecting. */
const RETRY_MS = 2_000;

/**
 * `GET /v1/stream`: Server-Sent Events of state changes, each with its stream id as the event
 * id, so a client that reconnects with `Last-Event-ID` gets everything it missed (an `event: gap`
 * first if the capped stream no longer holds it all). Comment lines keep idle connections open.
 */
export const streamRoutes =
  (context: ApiContext): FastifyPluginCallback =>
  (app, _options, done) => {
    // Streams never end on their own: closing the API ends them, and clients reconnect elsewhere.
    const open = new Set<ServerResponse>();
    app.addHook('preClose', (hookDone) => {
      for (const raw of open) raw.destroy();
      hookDone();
    });
    app.get('/v1/stream', async (request, reply) => {
      const query = parseOrThrow(StreamQuerySchema, request.query);
      const header = request.headers['last-event-id'];
      const lastEventId = typeof header === 'string' && header !== '' ? header : query.lastEventId;
      if (lastEventId !== undefined && !STREAM_ID.test(lastEventId)) {
        throw new ApiError(
          400,
          'VALIDATION_FAILED',
          'Last-Event-ID is not an id this stream sent',
          [{ path: 'Last-Event-ID', message: 'expected <ms>-<seq>' }],
        );
      }
      const wanted = (entry: ChangeEntry) =>
        (query.customer === undefined || entry.change.customerId === query.customer) &&
        (query.status === undefined || entry.change.status === query.status);

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write(`retry: ${RETRY_MS}\n\n`);
      open.add(raw);
      const write = (text: string) => {
        if (raw.writableLength > MAX_BUFFERED_BYTES) raw.destroy();
        else raw.write(text);
      };
      context.metrics.streams.inc();
      const heartbeat = setInterval(() => write(': heartbeat\n\n'), context.heartbeatMs);
      let unsubscribe: (() => void) | undefined;
      raw.on('close', () => {
        open.delete(raw);
        clearInterval(heartbeat);
        unsubscribe?.();
        context.metrics.streams.dec();
      });
      try {
        unsubscribe = await context.feed.subscribe(
          {
            deliver(entry) {
              if (!wanted(entry)) return;
              context.metrics.streamed.inc();
              write(`id: ${entry.id}\nevent: change\ndata: ${JSON.stringify(entry.change)}\n\n`);
            },
            gap(oldestId) {
              write(`event: gap\ndata: ${JSON.stringify({ oldestId })}\n\n`);
            },
          },
          lastEventId,
        );
        if (raw.destroyed) unsubscribe();
      } catch (error) {
        request.log.error({ err: error }, 'could not subscribe to the change stream');
        raw.destroy();
      }
    });
    done();
  };
