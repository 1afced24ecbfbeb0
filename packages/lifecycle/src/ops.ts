import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from './http/errors.js';
import { readinessStatus, reasonOf, type Readiness, type ReadinessChecks } from './readiness.js';
import { startOnce, type Startup } from './startup.js';

export interface OpsServerOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly checks: ReadinessChecks;
  /** The service's start-up: `/readyz` says what it waits for until it is over, then runs `checks`. */
  readonly startup?: Startup;
  /** Prometheus text exposition. */
  readonly metrics: () => Promise<string>;
}

export interface OpsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** What the three routes answer with; a process pool's primary aggregates its workers'. */
export interface OpsSources {
  readiness(): Promise<Readiness>;
  /** Prometheus text exposition. */
  metrics(): Promise<string>;
}

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The operational endpoints of a process without an HTTP API of its own (the projector, the
 * bridge, the worker): `/healthz` (the process answers), `/readyz` (it can work: what `rapport up`
 * and orchestrators probe; 503 with the failing checks' reasons otherwise) and `/metrics`. A
 * service starts it before it reaches its servers, so they answer while it waits for them.
 * (A process pool's primary serves them for all its workers: pool.ts.)
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  return listenForOps(options.host, options.port, {
    readiness: () => (options.startup ?? startOnce).readiness(options.checks),
    metrics: options.metrics,
  });
}

/** Plain node:http: three fixed routes need no framework. */
export async function listenForOps(
  host: string,
  port: number,
  sources: OpsSources,
): Promise<OpsServer> {
  const server = createServer((request, response) => {
    void answer(request, response, sources);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}

async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  sources: OpsSources,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (request.method !== 'GET') {
    return fail(
      response,
      new ApiError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not served here`),
    );
  }
  switch (path) {
    case '/healthz':
      return json(response, 200, { status: 'ok' });
    case '/readyz': {
      const body = await sources.readiness();
      return json(response, readinessStatus(body), body);
    }
    case '/metrics':
      try {
        const text = await sources.metrics();
        response.writeHead(200, { 'content-type': PROMETHEUS_TEXT }).end(text);
      } catch (cause) {
        fail(response, new ApiError(500, 'METRICS_FAILED', reasonOf(cause)));
      }
      return;
    default:
      return fail(response, new ApiError(404, 'NOT_FOUND', `no route GET ${path}`));
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
    .end(JSON.stringify(body));
}

/** An error, in the one shape every Rapport HTTP service answers with. */
const fail = (response: ServerResponse, error: ApiError) =>
  json(response, error.status, error.toJSON());
