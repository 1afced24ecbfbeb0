import { once } from 'node:events';
import { connect, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isSelfConnection, listening } from './probes.js';

describe('listening', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
  });

  /** A loopback server on a port the kernel picks, and that port. */
  const serve = async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    return { server, port };
  };
  const freePort = async () => {
    const { server, port } = await serve();
    await new Promise((done) => server.close(done));
    return port;
  };

  it('answers true for a listening server and false where nothing listens', async () => {
    const { server, port } = await serve();
    servers.push(server);
    expect(await listening('127.0.0.1', port, 2_000)).toBe(true);
    expect(await listening('127.0.0.1', await freePort(), 2_000)).toBe(false);
  });

  it('recognises a connection to itself, which a port with no listener can give', async () => {
    // What the kernel may do by chance when it picks the source port, done on purpose.
    const port = await freePort();
    const socket = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1', localPort: port });
    await once(socket, 'connect');
    expect(isSelfConnection(socket)).toBe(true);
    socket.resetAndDestroy();
  });
});
