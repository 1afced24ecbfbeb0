import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthDeps {
  readonly registry: Registry;
  /** Each check throws with a readable reason when its dependency is not usable. */
  readonly checks: Readonly<Record<string, () => Promise<void>>>;
}

/**
 * The projector serves nothing but its health: `/healthz` (the process answers), `/readyz`
 * (each dependency answers) and `/metrics`. Plain node:http, since there are three fixed routes.
 */
export function healthServer(deps: HealthDeps): Server {
  return createServer((request, response) => {
    const send = (status: number, body: unknown) =>
      response
        .writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
        .end(JSON.stringify(body));
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET') {
      send(405, error('METHOD_NOT_ALLOWED', `${request.method} is not served here`));
    } else if (path === '/healthz') {
      send(200, { status: 'ok' });
    } else if (path === '/readyz') {
      void readiness(deps.checks).then(({ ready, checks }) =>
        send(ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks }),
      );
    } else if (path === '/metrics') {
      void deps.registry
        .metrics()
        .then((text) =>
          response.writeHead(200, { 'content-type': deps.registry.contentType }).end(text),
        );
    } else {
      send(404, error('NOT_FOUND', `no route ${request.method} ${path}`));
    }
  });
}

async function readiness(
  checks: HealthDeps['checks'],
): Promise<{ ready: boolean; checks: Record<string, string> }> {
  const entries = Object.entries(checks);
  const results = await Promise.allSettled(entries.map(([, check]) => check()));
  const described: Record<string, string> = {};
  results.forEach((result, index) => {
    const reason: unknown = result.status === 'rejected' ? result.reason : undefined;
    described[entries[index]?.[0] ?? ''] =
      result.status === 'fulfilled'
        ? 'ok'
        : reason instanceof Error
          ? reason.message
          : String(reason);
  });
  return { ready: results.every((result) => result.status === 'fulfilled'), checks: described };
}

/** The one error shape every Rapport HTTP service answers with. */
const error = (code: string, message: string) => ({ error: { code, message, issues: [] } });
