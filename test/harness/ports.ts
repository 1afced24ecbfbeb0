import { createServer, type Server } from 'node:net';

/**
 * Loopback ports free now, all different, for child processes whose ports a test must know.
 * Each is held until all are picked: closed at once, a port can come back from the next pick
 * (a private broker once got the same port for its client and controller listeners).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let index = 0; index < count; index += 1) servers.push(await listen(0));
    return servers.map(portOf);
  } finally {
    await Promise.all(servers.map(close));
  }
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('no free port');
  return port;
}

/** Two consecutive free ports (a Temporal dev server takes its port and the next, for HTTP). */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const first = await listen(0);
    const port = portOf(first);
    const second = await listen(port + 1).catch(() => undefined);
    await close(first);
    if (second !== undefined) {
      await close(second);
      return port;
    }
  }
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));
