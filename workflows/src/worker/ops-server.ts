import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OpsServerOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Resolves when the process can do its work; rejects with the reason otherwise. */
  readonly ready: () => Promise<void>;
  /** Prometheus text exposition. */
  readonly metrics: () => Promise<string>;
}

export interface OpsServer {
  readonly url: string;
  close(): Promise<void>;
}

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The operational endpoints of a process without an HTTP API of its own (the bridge, the
 * worker): `/healthz` (the process answers), `/readyz` (it can work: what `rapport up` and
 * orchestrators probe) and `/metrics`.
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
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET') return json(response, 405, error('METHOD_NOT_ALLOWED', 'GET only'));
  switch (path) {
    case '/healthz':
      return json(response, 200, { status: 'ok' });
    case '/readyz':
      try {
        await options.ready();
        return json(response, 200, { status: 'ready' });
      } catch (cause) {
        return json(response, 503, error('NOT_READY', describe(cause)));
      }
    case '/metrics':
      try {
        const text = await options.metrics();
        response.writeHead(200, { 'content-type': PROMETHEUS_TEXT }).end(text);
      } catch (cause) {
        json(response, 500, error('METRICS_FAILED', describe(cause)));
      }
      return;
    default:
      return json(response, 404, error('NOT_FOUND', `no route ${path}`));
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const error = (code: string, message: string) => ({ error: { code, message } });
const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause));
