import { createServer, type Server } from 'node:net';

/**
 * Ports for child processes whose ports a test must know, taken from below Linux's ephemeral
 * range (32768–60999), never from it. A port the kernel hands out and takes back can go to an
 * outgoing connection (a Kafka or Redis client's) before the child binds it; and a readiness poll
 * that connects before the child listens can be given that very port as its own source and
 * connect to itself. Either way the child fails to bind. Each vitest worker (VITEST_POOL_ID)
 * walks a block of its own, so test files running side by side never pick the same port.
 */
const BLOCK = 500;
const BLOCKS = 20; // 22,000–31,999
const blockStart = 22_000 + (Number(process.env['VITEST_POOL_ID'] ?? 0) % BLOCKS) * BLOCK;
let cursor = 0;

/** Loopback ports free now, all different. Each is held until all are picked. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let index = 0; index < count; index += 1) servers.push(await nextFree(1));
    return servers.map(portOf);
  } finally {
    await Promise.all(servers.map(close));
  }
}

/** A Redis Cluster's `nodes` ports and each node's cluster bus port, all free now. */
export async function freeClusterPorts(
  nodes: number,
): Promise<{ ports: number[]; busPorts: number[] }> {
  const picked = await freePorts(nodes * 2);
  return { ports: picked.slice(0, nodes), busPorts: picked.slice(nodes) };
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('no free port');
  return port;
}

/** Two consecutive free ports (a Temporal dev server takes its port and the next, for HTTP). */
export const freePortPair = () => freePortRun(2);

/** The first of `count` consecutive free ports (a Kafka cluster's brokers take a run of them). */
export async function freePortRun(count: number): Promise<number> {
  const first = await nextFree(count);
  const port = portOf(first);
  await close(first);
  return port;
}

/** The next port of this worker's block with `span` free ports from it; the first held open. */
async function nextFree(span: number): Promise<Server> {
  for (let tries = 0; tries < BLOCK; tries += 1) {
    const port = blockStart + (cursor % (BLOCK - span + 1));
    cursor += span;
    const first = await listen(port).catch(() => undefined);
    if (first === undefined) continue;
    const rest = await Promise.all(
      Array.from({ length: span - 1 }, (_, index) =>
        listen(port + 1 + index).catch(() => undefined),
      ),
    );
    await Promise.all(rest.flatMap((server) => (server ? [close(server)] : [])));
    if (rest.every((server) => server !== undefined)) return first;
    await close(first);
  }
  throw new Error(`no free port in ${blockStart}–${blockStart + BLOCK - 1}`);
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
