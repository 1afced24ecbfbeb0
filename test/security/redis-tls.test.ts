import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { loadConfig, maskPassword, type Config } from '@rapport/config';
import {
  ensureRedisServer,
  ensureRunning,
  InfraError,
  probeRedis,
  provideInfrastructure,
  spawnDetached,
  stopProcess,
  type ManagedProcess,
} from '@rapport/infra';
import { connectReadModel, Projection } from '@rapport/read-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/index.js';
import { expectFolded, model, randomEvents } from '../projector/helpers.js';
import { makeCertificates, type Certificates } from './certificates.js';

const PASSWORD = 'redis-acl-secret-7d1f';
const WRONG_PASSWORD = 'not-the-password-93ab';

/**
 * Debian's redis-server of this file's own, answering only TLS (certificate from the private CA)
 * and only an ACL user: `default` is off, so nothing gets in without the password.
 */
function tlsRedis(certificates: Certificates, port: number): ManagedProcess {
  return {
    name: 'redis-tls',
    label: 'Redis (TLS, ACL)',
    endpoint: (config) => maskPassword(config.redis.url),
    address: () => ({ host: '127.0.0.1', port }),
    probe: (config, timeoutMs) => probeRedis(config.redis, timeoutMs),
    startTimeoutMs: 15_000,
    launch: async (config) =>
      spawnDetached({
        name: 'redis-tls',
        command: await ensureRedisServer(),
        args: [
          ...['--bind', '127.0.0.1', '--port', '0', '--tls-port', String(port)],
          ...[
            '--tls-cert-file',
            certificates.server.cert,
            '--tls-key-file',
            certificates.server.key,
          ],
          ...['--tls-ca-cert-file', certificates.ca, '--tls-auth-clients', 'no'],
          ...['--user', 'rapport', 'on', `>${PASSWORD}`, '~*', '&*', '+@all'],
          ...['--user', 'default', 'off'],
          ...['--save', '', '--appendonly', 'no', '--dir', config.infra.runDir],
        ],
        runDir: config.infra.runDir,
        marker: 'redis-server',
        endpoint: maskPassword(config.redis.url),
      }),
  };
}

describe('Redis over TLS with an ACL user', () => {
  let dir: string;
  let certificates: Certificates;
  let port: number;
  const url = (password: string, scheme = 'rediss') =>
    `${scheme}://rapport:${password}@127.0.0.1:${port}`;
  const configFor = (redisUrl: string, { trustCa = true } = {}): Config =>
    loadConfig({
      RAPPORT_REDIS_URL: redisUrl,
      RAPPORT_REDIS_TLS_CA_FILE: trustCa ? certificates.ca : undefined,
      RAPPORT_RUN_DIR: dir,
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rapport-redis-tls-'));
    certificates = await makeCertificates(dir);
    port = await freePort();
    await ensureRunning(tlsRedis(certificates, port), configFor(url(PASSWORD)), 'test', () => {});
  });

  afterAll(async () => {
    await stopProcess(dir, 'redis-tls');
    await rm(dir, { recursive: true, force: true });
  });

  it('connects with the private CA as the ACL user, and the read model works over it', async () => {
    const config = configFor(url(PASSWORD));
    const store = connectReadModel(config, model);
    try {
      const events = randomEvents(60, 6, 11);
      const projection = new Projection(store.writer, model, {
        generation: '0',
        groupId: 'g',
        follow: false,
        announce: true,
      });
      const result = await projection.project(
        0,
        events.map((value, index) => ({ partition: 0, offset: String(index), value })),
        Date.now(),
      );
      expect(result).toMatchObject({ events: 60, duplicates: 0, customers: 6 });
      await expectFolded(store, '0', events);
    } finally {
      await store.close();
    }
  });

  it('refuses a wrong password, and neither the error nor `rapport up` shows it', async () => {
    const config = configFor(url(WRONG_PASSWORD));
    const refused: unknown = await probeRedis(config.redis, 2_000).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Error);
    expect(String(refused)).toMatch(/WRONGPASS/);
    // Everything a log line could print: the message, the stack and every property.
    expect(inspect(refused, { depth: 10 })).not.toContain(WRONG_PASSWORD);

    // `rapport up` with RAPPORT_REDIS_URL given checks it first and stops, naming the variable.
    const up: unknown = await provideInfrastructure(config, { profile: 'test', docker: 'never' })
      .then(() => 'started')
      .catch((error: unknown) => error);
    expect(up).toBeInstanceOf(InfraError);
    const message = String(up);
    expect(message).toContain(`rediss://rapport:***@127.0.0.1:${port}`);
    expect(message).toContain('RAPPORT_REDIS_URL');
    expect(message).toMatch(/WRONGPASS/);
    expect(inspect(up, { depth: 10 })).not.toContain(WRONG_PASSWORD);
  });

  it('refuses the server without the private CA: its certificate is not trusted', async () => {
    const config = configFor(url(PASSWORD), { trustCa: false });
    await expect(probeRedis(config.redis, 2_000)).rejects.toThrow(/self[- ]signed certificate/);
  });

  it('gets nothing from the TLS port over plain redis://', async () => {
    const config = configFor(url(PASSWORD, 'redis'), { trustCa: false });
    // The server resets a connection that does not begin with a TLS handshake.
    await expect(probeRedis(config.redis, 2_000)).rejects.toThrow(/ECONNRESET/);
  });
});
