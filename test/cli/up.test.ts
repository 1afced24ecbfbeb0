import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '@rapport/config';
import { runningProcess, type ManagedProcess } from '@rapport/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopServices } from '../../packages/cli/src/commands/down.js';
import { appServices } from '../../packages/cli/src/service-processes.js';
import { startServices } from '../../packages/cli/src/supervisor.js';
import { freePorts, testEnvironment, uniqueNames, untilReady } from '../harness/index.js';

/**
 * `rapport up`'s services, two of them (the query API and a projector) and the bridge's port: the
 * supervision is the same for all five, and each costs a process start. The services read the
 * rest of their configuration from the environment, as they do from the shell that runs `up`.
 */
describe('rapport up, with services it did not start', () => {
  const names = uniqueNames('up');
  const saved = { ...process.env };
  let runDir: string;
  let config: Config;
  const service = (name: string): ManagedProcess => {
    const found = appServices.find((candidate) => candidate.name === name);
    if (found === undefined) throw new Error(`no service ${name}`);
    return found;
  };
  const api = service('api');
  const projector = service('projector');
  const bridge = service('bridge');
  const lines: string[] = [];
  const report = (line: string) => lines.push(line);

  beforeAll(async () => {
    runDir = await mkdtemp(join(tmpdir(), 'rapport-up-'));
    const [apiPort, projectorPort, bridgePort] = await freePorts(3);
    const env = testEnvironment(names, {
      RAPPORT_RUN_DIR: runDir,
      RAPPORT_API_PORT: String(apiPort),
      RAPPORT_PROJECTOR_PORT: String(projectorPort),
      RAPPORT_PROJECTOR_PROCESSES: '1',
      RAPPORT_PROJECTOR_GROUP_ID: names.groupId('projector'),
      RAPPORT_BRIDGE_PORT: String(bridgePort),
      RAPPORT_LOG_LEVEL: 'info',
    });
    Object.assign(process.env, env);
    config = loadConfig(env);
  });

  afterAll(async () => {
    await stopServices(config);
    process.env = saved;
    await rm(runDir, { recursive: true, force: true });
  });

  it('a failed start stops what it started, and leaves running what it found', async () => {
    // The API as an earlier `rapport up --detach` left it.
    await startServices(config, [api], report);
    const earlier = await runningProcess(runDir, 'api');
    // A program rapport knows nothing of holds the bridge's port.
    const squatter = await listen(config.bridge.port);
    try {
      await expect(startServices(config, [api, projector, bridge], report)).rejects.toThrow(
        /Bridge: 127\.0\.0\.1:\d+ is in use by a process rapport did not start/,
      );
    } finally {
      squatter.close();
    }
    expect(lines).toContainEqual(expect.stringMatching(/^api: already running/));
    expect(lines).toContainEqual(expect.stringMatching(/^projector: healthy in/));
    expect(await runningProcess(runDir, 'projector')).toBeUndefined();
    expect((await runningProcess(runDir, 'api'))?.pid).toBe(earlier?.pid);
    await untilReady(config.http.apiPort);
  });

  it('starts a service it started again when it dies, appending to its log; stops only its own', async () => {
    const up = await startServices(config, [api, projector], report);
    up.supervise();
    const first = await runningProcess(runDir, 'projector');
    process.kill(first?.pid ?? 0, 'SIGKILL');
    await expect
      .poll(() => lines.filter((line) => line.startsWith('projector')), { timeout: 30_000 })
      .toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^projector exited after .* starting it again in 1\.0 s/),
          expect.stringMatching(/^projector: started again \(pid \d+\)/),
          'projector: ready again',
        ]),
      );
    const second = await runningProcess(runDir, 'projector');
    expect(second?.pid).not.toBe(first?.pid);
    // Each start, the two of this file's tests and the restart, appended to the one log.
    const log = await readFile(join(runDir, 'projector.log'), 'utf8');
    expect(log.match(/^--- .* rapport: starting projector ---$/gm)).toHaveLength(3);
    expect(log.match(/"msg":"projector ready: /g)).toHaveLength(3);

    await up.stop();
    expect(await runningProcess(runDir, 'projector')).toBeUndefined();
    expect(await runningProcess(runDir, 'api')).toBeDefined();
  });
});

async function listen(port: number): Promise<Server> {
  const server = createServer((_request, response) => response.writeHead(404).end());
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return server;
}
