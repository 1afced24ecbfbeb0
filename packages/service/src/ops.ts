import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a process needs to do its work, by name; each check rejects with a readable reason. */
export type ReadinessChecks = Readonly<Record<string, () => Promise<unknown>>>;

/** `/readyz`'s body: every check's `ok` or its reason, whatever the answer's status. */
export interface Readiness {
  readonly status: 'ready' | 'not_ready';
  readonly checks: Readonly<Record<string, string>>;
}

/** Runs every check at once; ready when all of them passed. */
export async function readiness(checks: ReadinessChecks): Promise<Readiness> {
  const entries = Object.entries(checks);
  const results = await Promise.allSettled(entries.map(([, check]) => check()));
  const described = Object.fromEntries(
    results.map((result, index) => [
      entries[index]?.[0] ?? '',
      result.status === 'fulfilled' ? 'ok' : reasonOf(result.reason),
    ]),
  );
  const ready = results.every((result) => result.status === 'fulfilled');
  return { status: ready ? 'ready' : 'not_ready', checks: described };
}

/** The HTTP status `/readyz` answers with: 503 while any check fails. */
export const readinessStatus = (body: Readiness): 200 | 503 =>
  body.status === 'ready' ? 200 : 503;

export interface OpsServerOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly checks: ReadinessChecks;
  /** Prometheus text exposition. */
  readonly metrics: () => Promise<string>;
}

export interface OpsServer {
  readonly url: string;
  close(): Promise<void>;
}

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The operational endpoints of a process without an HTTP API of its own (the projector, the
 * bridge, the worker): `/healthz` (the process answers), `/readyz` (it can work: what `rapport up`
 * and orchestrators probe; 503 with the failing checks' reasons otherwise) and `/metrics`.
 * Plain node:http: three fixed routes need no framework.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server = createServer((request, response) => {
    void answer(request, response, options);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
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
  options: OpsServerOptions,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (request.method !== 'GET') {
    return json(response, 405, error('METHOD_NOT_ALLOWED', `${request.method} is not served here`));
  }
  switch (path) {
    case '/healthz':
      return json(response, 200, { status: 'ok' });
    case '/readyz': {
      const body = await readiness(options.checks);
      return json(response, readinessStatus(body), body);
    }
    case '/metrics':
      try {
        const text = await options.metrics();
        response.writeHead(200, { 'content-type': PROMETHEUS_TEXT }).end(text);
      } catch (cause) {
        json(response, 500, error('METRICS_FAILED', reasonOf(cause)));
      }
      return;
    default:
      return json(response, 404, error('NOT_FOUND', `no route GET ${path}`));
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
    .end(JSON.stringify(body));
}

/** The one error shape every Rapport HTTP service answers with. */
const error = (code: string, message: string) => ({ error: { code, message, issues: [] } });
const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause));
