import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_KEY, TEST_READ_KEY, TEST_WRITE_KEY } from '../harness/index.js';
import { CATCH_UP_LIMIT } from '@rapport/api';
import { ChangeSchema } from '@rapport/read-model';
import { openStream, startTestApi, until, type TestApi } from '../api/helpers.js';
import { randomEvents } from '../projector/helpers.js';
import { startTestGateway, type TestGateway } from '../gateway/helpers.js';
import { openSocket } from './http.js';

/** What real sockets do to the shell: a trickled body is cut, streams are capped per key. */
describe('connections held open on purpose', () => {
  let gateway: TestGateway;
  let api: TestApi;
  const OTHER_READ_KEY = 'another-read-key';

  beforeAll(async () => {
    [gateway, api] = await Promise.all([
      startTestGateway('slow-body', { RAPPORT_HTTP_REQUEST_TIMEOUT: '2s' }),
      startTestApi('stream-caps', {
        RAPPORT_READ_KEYS: `${TEST_READ_KEY},${OTHER_READ_KEY}`,
        RAPPORT_SSE_MAX_STREAMS_PER_KEY: '2',
        RAPPORT_SSE_MAX_STREAMS: '3',
      }),
    ]);
  });
  afterAll(async () => {
    await gateway?.gateway.stop();
    await api?.stop();
  });

  /** Until the server has seen clients leave: a slot is free once their stream closed there. */
  async function untilOpenStreams(count: number): Promise<void> {
    const open = async () => {
      const metrics = await fetch(`${api.api.url}/metrics`, {
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
      });
      return Number(/^rapport_api_streams_open (\d+)/m.exec(await metrics.text())?.[1]);
    };
    const deadline = Date.now() + 5_000;
    while ((await open()) !== count) {
      if (Date.now() > deadline) throw new Error(`streams open did not come to ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('cuts a body trickled in a byte at a time with a 408 in the error shape', async () => {
    const { socket, received, closed } = await openSocket(gateway.gateway.url);
    const body = JSON.stringify({ batch: [] });
    socket.write(
      'POST /v1/interactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        `Authorization: Bearer ${TEST_WRITE_KEY}\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    const started = Date.now();
    const trickle = setInterval(() => {
      if (!socket.destroyed) socket.write(body[Math.floor((Date.now() - started) / 250)] ?? ' ');
    }, 250);
    try {
      await closed;
    } finally {
      clearInterval(trickle);
    }
    const elapsed = Date.now() - started;
    // The deadline (2 s) plus at most one check interval (1 s) and scheduling.
    expect(elapsed).toBeGreaterThanOrEqual(1_900);
    expect(elapsed).toBeLessThan(4_500);
    expect(received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    const answer = received().slice(received().indexOf('\r\n\r\n') + 4);
    expect(JSON.parse(answer)).toMatchObject({ error: { code: 'REQUEST_TIMEOUT', issues: [] } });
  });

  it('caps streams per key and in all, answers 429 with Retry-After, and frees a slot on leave', async () => {
    const url = `${api.api.url}/v1/stream`;
    const mine = { authorization: `Bearer ${TEST_READ_KEY}` };
    const theirs = { authorization: `Bearer ${OTHER_READ_KEY}` };
    const first = await openStream(url, mine);
    const second = await openStream(url, mine);
    expect([first.response.status, second.response.status]).toEqual([200, 200]);

    const overKey = await fetch(url, { headers: mine });
    expect(overKey.status).toBe(429);
    expect(overKey.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await overKey.json()).toMatchObject({ error: { code: 'TOO_MANY_STREAMS' } });

    const third = await openStream(url, theirs);
    expect(third.response.status).toBe(200);
    const overTotal = await fetch(url, { headers: theirs });
    expect(overTotal.status).toBe(429);

    await first.close();
    await untilOpenStreams(2);
    const again = await openStream(url, mine);
    expect(again.response.status).toBe(200);
    await Promise.all([second.close(), third.close(), again.close()]);
    await untilOpenStreams(0);
  });

  it('bounds a catch-up: a client too far behind is told of the gap and gets the newest changes', async () => {
    const url = `${api.api.url}/v1/stream`;
    const auth = { authorization: `Bearer ${OTHER_READ_KEY}` };
    // One change per customer: the events of one customer each, all projected in one write.
    const changes = (label: string, count: number) =>
      randomEvents(count, 1, label.length).map((event, index) => ({
        ...event,
        eventId: `${label}-${index}`,
        customerId: `${label}-customer-${index}`,
      }));
    const first = await openStream(url, auth);
    await api.project(changes('before', 1));
    await until(() => first.events.length === 1);
    await first.close();
    const lastSeen = first.events[0]?.id ?? '';

    await api.project(changes('missed', CATCH_UP_LIMIT + 100));
    const behind = await openStream(url, { ...auth, 'last-event-id': lastSeen });
    await until(() => behind.events.length === CATCH_UP_LIMIT + 1);
    await behind.close();
    const [gap, ...sent] = behind.events;
    expect(gap?.event).toBe('gap');
    expect(sent.map((event) => event.event)).toEqual(sent.map(() => 'change'));
    expect(JSON.parse(gap?.data ?? '{}')).toEqual({ oldestId: sent[0]?.id });
    const customers = sent.map(
      (event) => ChangeSchema.parse(JSON.parse(event.data ?? '')).customerId,
    );
    // The newest of the missed changes, each once; the 100 before them are the gap.
    expect(new Set(customers).size).toBe(CATCH_UP_LIMIT);
    expect(customers.every((customer) => customer.startsWith('missed-'))).toBe(true);
  });
});
