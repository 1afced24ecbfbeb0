import {
  createServer,
  type IncomingHttpHeaders,
  type RequestListener,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import type { DropFacts } from '../../shared/definitions.js';
import type { Notification } from '../notification.js';

/** Test helpers: a notification to send, and real local HTTP receivers (closed after each test). */

/** A customer at a trust breach: a request went unanswered past its deadline. */
export const facts: DropFacts = {
  engagement: 18.24,
  trust: 0.4449,
  status: 'at_risk',
  given: 3.14,
  received: 12.4,
  lifetime: { given: 10, received: 40.04 },
  lastHeardAt: Date.parse('2025-11-20T14:03:30Z'),
  rhythmDays: 29.96,
  cause: 'sla.missed',
};

/** Its third step's escalation. */
export const escalation: Notification = {
  type: 'followup.escalate',
  followUpId: 'followup:c-42:trust_breach:1764925200000',
  customerId: 'c-42',
  playbook: 'trust-breach',
  step: 2,
  message: 'No answer to the repair attempt; the account owner should call.',
  trigger: 'trust_breach',
  stage: 'active',
  dropAt: '2025-12-05T09:00:00.000Z',
  facts,
};

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Receiver {
  readonly url: string;
  /** Every request so far, in arrival order. */
  readonly received: ReceivedRequest[];
  close(): Promise<void>;
}

const servers: Server[] = [];
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));
afterEach(async () => {
  await Promise.all(servers.splice(0).map(close));
});

/** A receiver on loopback that records each request, then lets `answer` respond. */
export async function receiver(answer: RequestListener): Promise<Receiver> {
  const received: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push({ path: request.url ?? '', headers: request.headers, body });
      answer(request, response);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => close(server),
  };
}
