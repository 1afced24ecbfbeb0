import type { ServerResponse } from 'node:http';
import type { FastifyPluginCallback } from 'fastify';
import { ApiError } from '@rapport/lifecycle';
import type { ChangeEntry } from '@rapport/read-model';
import type { ApiContext } from '../app.js';
import { isPossiblePosition } from '../stream-position.js';
import { parseOrThrow } from '../validate.js';
import { StreamQuerySchema } from '../queries.js';
import { StreamSlots } from '../stream-slots.js';

/** A slow client is dropped past this much unsent data; it resumes with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1 << 20;
/** What EventSource waits before reconnecting. */
const RETRY_MS = 2_000;

const invalidLastEventId = () =>
  new ApiError(400, 'VALIDATION_FAILED', 'Last-Event-ID is not an id this stream sent', [
    {
      path: 'Last-Event-ID',
      message: "expected <ms>-<seq>, one per index shard joined by '.', as this stream sends them",
    },
  ]);

/**
 * `GET /v1/stream`: Server-Sent Events of state changes, each with its position in the change
 * streams as the event id (feed.ts), so a client that reconnects with `Last-Event-ID` gets everything it missed (an `event: gap`
 * first if the capped stream no longer holds it all). Comment lines keep idle connections open.
 * Everything that can refuse the request (its input, the connection caps, reaching Redis) is
 * decided before the 200, so a refusal is an answer in the error shape, never a dropped stream.
 */
export const streamRoutes =
  (context: ApiContext): FastifyPluginCallback =>
  (app, _options, done) => {
    // Streams never end on their own: closing the API ends them, and clients reconnect elsewhere.
    const open = new Set<ServerResponse>();
    const slots = new StreamSlots(
      context.config.api.maxStreams,
      context.config.api.maxStreamsPerKey,
    );
    app.addHook('preClose', (hookDone) => {
      for (const raw of open) raw.destroy();
      hookDone();
    });
    app.get('/v1/stream', { config: { access: 'read' } }, async (request, reply) => {
      const query = parseOrThrow(StreamQuerySchema, request.query);
      const header = request.headers['last-event-id'];
      const lastEventId = typeof header === 'string' && header !== '' ? header : query.lastEventId;
      // Stream ids are wall-clock instants, whatever instant the API reads customers at.
      if (lastEventId !== undefined && !isPossiblePosition(lastEventId, Date.now())) {
        throw invalidLastEventId();
      }
      const wanted = (entry: ChangeEntry) =>
        (query.customer === undefined || entry.change.customerId === query.customer) &&
        (query.status === undefined || entry.change.status === query.status);

      const release = slots.take(request.caller?.keyId ?? '');
      if (release === undefined) {
        context.metrics.streamsRefused.inc();
        throw new ApiError(
          429,
          'TOO_MANY_STREAMS',
          'too many streams are open (for this key or in all); close one or retry later',
          [],
          5,
        );
      }
      const raw = reply.raw;
      // What is delivered while the subscription is still catching up waits for the 200.
      let pending: string[] | undefined = [];
      const write = (text: string) => {
        if (pending) pending.push(text);
        else if (raw.writableLength > MAX_BUFFERED_BYTES) raw.destroy();
        else raw.write(text);
      };
      let unsubscribe: (() => void) | undefined;
      try {
        unsubscribe = await context.feed.subscribe(
          {
            deliver(entry, eventId) {
              if (!wanted(entry)) return;
              context.metrics.streamed.inc();
              write(`id: ${eventId}\nevent: change\ndata: ${JSON.stringify(entry.change)}\n\n`);
            },
            gap(oldestId) {
              write(`event: gap\ndata: ${JSON.stringify({ oldestId })}\n\n`);
            },
          },
          lastEventId,
        );
      } catch (error) {
        release();
        request.log.error(
          { err: error, reqId: request.id },
          'could not subscribe to the change stream',
        );
        throw new ApiError(
          503,
          'STORE_UNAVAILABLE',
          'the change stream cannot be read right now',
          [],
          5,
        );
      }

      reply.hijack();
      // A stream is idle between changes by design; heartbeats show it is alive.
      request.raw.socket.setTimeout(0);
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write(`retry: ${RETRY_MS}\n\n`);
      for (const text of pending) raw.write(text);
      pending = undefined;
      open.add(raw);
      context.metrics.streams.inc();
      const heartbeat = setInterval(() => write(': heartbeat\n\n'), context.heartbeatMs);
      const close = () => {
        open.delete(raw);
        clearInterval(heartbeat);
        unsubscribe?.();
        release();
        context.metrics.streams.dec();
      };
      if (request.raw.socket.destroyed) close();
      else raw.on('close', close);
    });
    done();
  };
