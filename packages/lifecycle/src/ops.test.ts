import { afterEach, describe, expect, it } from 'vitest';
import { startOpsServer, type OpsServer } from './ops.js';

describe('startOpsServer', () => {
  let server: OpsServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it('answers /healthz, /readyz with every check, /metrics, and JSON errors elsewhere', async () => {
    let temporalUp = true;
    server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      checks: {
        temporal: () => (temporalUp ? Promise.resolve() : Promise.reject(new Error('no answer'))),
      },
      metrics: () => Promise.resolve('rapport_up 1\n'),
    });
    const get = (path: string, method = 'GET') => fetch(`${server?.url}${path}`, { method });

    expect(await (await get('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await get('/readyz');
    expect([ready.status, await ready.json()]).toEqual([
      200,
      { status: 'ready', checks: { temporal: 'ok' } },
    ]);
    temporalUp = false;
    const notReady = await get('/readyz');
    expect([notReady.status, await notReady.json()]).toEqual([
      503,
      { status: 'not_ready', checks: { temporal: 'no answer' } },
    ]);
    const metrics = await get('/metrics');
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toBe('rapport_up 1\n');
    expect((await get('/nope')).status).toBe(404);
    const post = await get('/healthz', 'POST');
    expect([post.status, await post.json()]).toEqual([
      405,
      { error: { code: 'METHOD_NOT_ALLOWED', message: 'POST is not served here', issues: [] } },
    ]);
  });
});
