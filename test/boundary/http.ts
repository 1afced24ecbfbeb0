import { request } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/**
 * One request exactly as written: the path is not normalised or re-encoded (as fetch's URL parser
 * would), so percent-encoded and malformed paths reach the server as a hostile client sends them.
 */
export function rawRequest(
  baseUrl: string,
  options: {
    readonly method: string;
    readonly path: string;
    readonly headers?: Record<string, string>;
    readonly body?: string | Buffer;
    /** On a connection of its own, not one the global agent keeps alive. */
    readonly ownConnection?: boolean;
  },
): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: hostname,
        port,
        method: options.method,
        path: options.path,
        headers: options.headers,
        ...(options.ownConnection && { agent: false }),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    // A server may answer (401, 413) and close before reading the whole body: that is an answer.
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** A plain TCP connection to `baseUrl`, and everything it receives until the server closes it. */
export async function openSocket(baseUrl: string) {
  const { hostname, port } = new URL(baseUrl);
  const socket: Socket = connect({ host: hostname, port: Number(port) });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  return { socket, received: () => received, closed };
}
