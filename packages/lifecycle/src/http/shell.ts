import { METHODS, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { KeyClass } from '@rapport/config';
import type { Logger } from 'pino';
import type { MetricSet } from '../metrics.js';
import type { Startup } from '../startup.js';
import { ApiError, toApiError } from './errors.js';
import { parseJsonBody } from './json.js';
import { KeyRing, type Caller, type KeySets } from './keys.js';

/** Who may call a route: anyone (`public`), or a caller holding a key of one class. */
export type Access = 'public' | KeyClass;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Checked against the matched route (never the URL's text), before the body is read. */
    access?: Access;
    /**
     * Requests this answers true for carry a signature instead of a key, which the handler
     * verifies over the raw body (provider webhooks); the others need a key of `access`.
     */
    signed?: (request: FastifyRequest) => boolean;
  }
  interface FastifyRequest {
    /**
     * Whose valid key the request carries, if any; a route that needs a key has checked its
     * class before the handler runs (a signed request may carry none).
     */
    caller: Caller | undefined;
    /** The body exactly as received: signatures are computed over it, dead letters keep it. */
    rawBody: Buffer | undefined;
  }
}

export interface HttpShellOptions {
  readonly logger: Logger;
  readonly keys: KeySets;
  readonly bodyLimitBytes: number;
  /** Time to receive a whole request; a trickled body is cut with a 408 past it. */
  readonly requestTimeoutMs: number;
  /** The service's metric set: the shell adds `<prefix>_requests_total` and the like to it. */
  readonly metrics: MetricSet;
  /**
   * The service's start-up: until it is over (the service still waits for its servers), a route
   * behind a key or a signature answers 503 `NOT_READY`; the public routes (`/healthz`,
   * `/readyz`) answer from the start.
   */
  readonly startup?: Pick<Startup, 'finished'>;
}

/** The longest path parameter the router passes on: a 256-character id, percent-encoded. */
const MAX_PARAM_LENGTH = 256 * 4 * 3;
/** What a 503 `NOT_READY` asks the caller to wait: about how soon a server back is noticed. */
const NOT_READY_RETRY_SECONDS = 5;
/** How often Node looks for requests past their deadline, so a cut comes soon after it. */
const DEADLINE_CHECK_MS = 1_000;
/** A connection that neither sends nor receives for this long is closed (streams opt out). */
const IDLE_CONNECTION_MS = 120_000;
/**
 * How long a kept-alive connection may wait for its next request: longer than the 60 s idle
 * timeout of common load balancers, so that they, not Rapport, close idle connections (a server
 * closing first races the balancer's next request on that connection).
 */
const KEEP_ALIVE_MS = 72_000;

const CLIENT_ERRORS: Record<string, readonly [number, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'the request was not received in time'],
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'the request headers are too large'],
};

/**
 * The one HTTP shell of Rapport's services: a Fastify instance whose every route declares who may
 * call it, with strict key checks, bounded requests (size, nesting, time), and every answer that
 * is not a success in the one error shape, including the framework's and Node's own.
 */
export function createHttpApp(options: HttpShellOptions) {
  const keyRing = new KeyRing(options.keys);
  const limits = { bodyBytes: options.bodyLimitBytes };
  const metrics = httpMetrics(options.metrics);
  const answer = (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const apiError = toApiError(error, limits);
    metrics.rejections.inc({ reason: apiError.code });
    if (apiError.code === 'INTERNAL') {
      request.log.error({ err: error, reqId: request.id }, 'request failed');
    }
    if (apiError.retryAfterSeconds !== undefined) {
      void reply.header('retry-after', apiError.retryAfterSeconds);
    }
    return reply.code(apiError.status).send(apiError.toJSON());
  };

  const app = Fastify({
    loggerInstance: options.logger,
    // Per-request log lines at thousands of requests a second cost more than the work itself;
    // so does a child logger per request (its bindings pass the redaction): the few lines a
    // request writes name its id themselves.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger) => logger,
    bodyLimit: options.bodyLimitBytes,
    requestTimeout: options.requestTimeoutMs,
    connectionTimeout: IDLE_CONNECTION_MS,
    keepAliveTimeout: KEEP_ALIVE_MS,
    http: {
      headersTimeout: Math.min(options.requestTimeoutMs, 10_000),
      connectionsCheckingInterval: DEADLINE_CHECK_MS,
    },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (error, request, reply) => void answer(error, request, reply),
    clientErrorHandler: answerClientError,
  });

  // A public route's fixed path (the ops routes, the dashboard's page) answers a wrong method with
  // a 405 for anyone; a public pattern (`/dashboard/:file`) answers it as an unknown path does.
  const publicPaths = new Set<string>();
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (access === undefined) {
      throw new Error(`route ${String(route.method)} ${route.url} does not declare its access`);
    }
    if (access === 'public') publicPaths.add(route.url);
  });

  app.decorateRequest('caller', undefined);
  app.decorateRequest('rawBody', undefined);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (error) {
      done(error as Error);
    }
  });

  /**
   * What a request that matched no route is told: without a key, a path that exists and one that
   * does not get the same 401; with one, 405 (and `Allow`) for a known path, else 404.
   */
  const unmatched = (request: FastifyRequest, reply: FastifyReply): ApiError => {
    const path = (request.raw.url ?? '/').split('?', 1)[0] ?? '/';
    const methods = METHODS.filter(
      (method) => method !== request.method && app.findRoute({ method, url: path }) !== null,
    );
    if (request.caller === undefined && !(methods.length > 0 && publicPaths.has(path))) {
      return unauthenticated('missing');
    }
    if (methods.length === 0)
      return new ApiError(404, 'NOT_FOUND', 'no such route; see /openapi.json');
    const allowed = methods.join(', ');
    void reply.header('allow', allowed);
    return new ApiError(
      405,
      'METHOD_NOT_ALLOWED',
      `${request.method} is not served here; use ${allowed}`,
    );
  };

  // After the key checks: a refused key is told so whether or not the service has started.
  const notStarted = () =>
    options.startup?.finished === false
      ? new ApiError(
          503,
          'NOT_READY',
          'the service is starting: it waits for its servers (Kafka, Redis, Temporal); retry later',
          [],
          NOT_READY_RETRY_SECONDS,
        )
      : undefined;

  app.addHook('onRequest', (request, reply, done) => {
    const { access, signed } = request.routeOptions.config;
    const identified = keyRing.identify(request.headers.authorization);
    if (identified.ok) request.caller = identified.caller;
    // Unmatched requests are answered here, before Fastify reads (or judges) their body.
    if (access === undefined) return done(unmatched(request, reply));
    if (access === 'public') return done();
    if (signed?.(request)) return done(notStarted());
    if (!identified.ok) return done(unauthenticated(identified.reason, access));
    if (identified.caller.keyClass !== access) return done(wrongClass(identified.caller, access));
    done(notStarted());
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, status: reply.statusCode });
    metrics.seconds.observe({ route }, reply.elapsedTime / 1000);
    done();
  });
  app.setErrorHandler((error, request, reply) => answer(error, request, reply));
  // Reached only if a hook above let an unmatched request through.
  app.setNotFoundHandler((request, reply) => answer(unmatched(request, reply), request, reply));
  return app;
}

export type HttpApp = ReturnType<typeof createHttpApp>;

/** `a read key`, `an admin key`. */
const aKey = (keyClass: KeyClass) => `${keyClass === 'admin' ? 'an' : 'a'} ${keyClass} key`;

function unauthenticated(reason: 'missing' | 'malformed' | 'unknown', access?: KeyClass): ApiError {
  const how =
    'send `Authorization: Bearer <key>` (or HTTP Basic with the key as user and an empty password)';
  const message = {
    missing: `this route needs ${access === undefined ? 'an API key' : aKey(access)}: ${how}`,
    malformed: `the Authorization header is not one this service reads: ${how}`,
    unknown: "unknown key: not one of this service's keys",
  }[reason];
  return new ApiError(401, 'UNAUTHENTICATED', message);
}

const wrongClass = (caller: Caller, access: KeyClass) =>
  new ApiError(
    403,
    'FORBIDDEN',
    `this is ${aKey(caller.keyClass)}; this route needs ${aKey(access)}`,
  );

/**
 * Node's own refusals (a request not received in time, headers too large, unparsable HTTP) in the
 * one error shape, written straight to the socket since no request object exists yet.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? [
    400,
    'INVALID_REQUEST',
    'the request is not valid HTTP/1.1',
  ];
  const body = JSON.stringify(new ApiError(status, code, message).toJSON());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function httpMetrics(metrics: MetricSet) {
  return {
    requests: metrics.counter('requests_total', {
      help: 'HTTP requests by route and status code',
      labelNames: ['route', 'status'] as const,
    }),
    seconds: metrics.histogram('request_seconds', {
      help: 'Time to answer, by route',
      labelNames: ['route'] as const,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    }),
    rejections: metrics.counter('rejections_total', {
      help: 'Refused requests by reason (the error code)',
      labelNames: ['reason'] as const,
    }),
  };
}
