import { builtInAdapters } from '@rapport/adapters';
import { startService, type ServiceProcess } from '../bench/service.js';
import { freePorts } from '../harness/ports.js';

/** A key of each class (the configuration wants at least 12 characters). */
export const FUZZ_KEYS = {
  write: 'fuzz-write-key',
  read: 'fuzz-read-key',
  admin: 'fuzz-admin-key',
} as const;

/**
 * Customers the read side holds before fuzzing, so that the API's routes answer 200 and their
 * bodies get checked, not only 404s. Some need percent-encoding in a path.
 */
export const CUSTOMERS = [
  'c-42',
  'fuzz-1',
  'fuzz-2',
  'fuzz-3',
  'fuzz-4',
  'mail+tag@example.com',
  'with space',
  'a/b',
  'ünïcødé-客户',
  '😀',
] as const;

/** The channels the gateway adapts out of the box, so webhooks reach their adapters. */
export const CHANNELS = builtInAdapters.map((adapter) => adapter.channel);

export interface Stack {
  readonly gateway: string;
  readonly api: string;
  stop(): Promise<void>;
}

const DAY = 86_400_000;

/**
 * The gateway, a projector and the query API, each in its own process as `rapport up` runs them,
 * one process each (the fuzzer is the load), on free ports, with `env` naming the servers, topics
 * and key prefix; the customers above already ingested through the gateway and projected.
 */
export async function startStack(env: Readonly<Record<string, string>>): Promise<Stack> {
  const [gatewayPort = 0, apiPort = 0, projectorPort = 0] = await freePorts(3);
  const common = {
    ...process.env,
    ...env,
    RAPPORT_WRITE_KEYS: FUZZ_KEYS.write,
    RAPPORT_READ_KEYS: FUZZ_KEYS.read,
    RAPPORT_ADMIN_KEYS: FUZZ_KEYS.admin,
    RAPPORT_GATEWAY_PORT: String(gatewayPort),
    RAPPORT_API_PORT: String(apiPort),
    RAPPORT_PROJECTOR_PORT: String(projectorPort),
    RAPPORT_GATEWAY_PROCESSES: '1',
    RAPPORT_PROJECTOR_PROCESSES: '1',
  };
  const started: ServiceProcess[] = [];
  const start = async (...services: Parameters<typeof startService>[]) => {
    const settled = await Promise.allSettled(services.map((args) => startService(...args)));
    for (const service of settled) if (service.status === 'fulfilled') started.push(service.value);
    const failed = settled.find((service) => service.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.flatMap((service) =>
      service.status === 'fulfilled' ? [service.value.url] : [],
    );
  };
  const stop = async () => {
    await Promise.all(started.map((service) => service.stop()));
  };
  try {
    const [gateway = '', api = ''] = await start(
      ['gateway', common, gatewayPort],
      ['api', common, apiPort],
    );
    // After the gateway, which creates the topics: two processes creating them at once can fail.
    await start(['projector', common, projectorPort]);
    await seedCustomers(gateway, api);
    return { gateway, api, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Events a few days apart, the last one longer ago for each customer, so statuses differ. */
async function seedCustomers(gateway: string, api: string): Promise<void> {
  const now = Date.now();
  const batch = CUSTOMERS.flatMap((customerId, index) =>
    [0, 1, 2].map((step) => ({
      eventId: `fuzz-seed-${index}-${step}`,
      customerId,
      channel: ['support', 'email', 'store'][step],
      type: ['support.ticket_opened', 'email.replied', 'purchase.completed'][step],
      direction: 'inbound',
      occurredAt: new Date(now - (index * index + (2 - step) * 3) * DAY).toISOString(),
      threadId: `fuzz-thread-${index}`,
      ...(step === 0 ? { expectsResponse: true } : { value: 10 * step }),
    })),
  );
  const response = await fetch(`${gateway}/v1/interactions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${FUZZ_KEYS.write}`, 'content-type': 'application/json' },
    body: JSON.stringify({ batch }),
  });
  if (response.status !== 202) {
    throw new Error(`seeding customers: ${response.status} ${await response.text()}`);
  }
  for (const customerId of CUSTOMERS) {
    await untilFound(`${api}/v1/customers/${encodeURIComponent(customerId)}`);
  }
}

async function untilFound(url: string, timeoutMs = 30_000): Promise<void> {
  const headers = { authorization: `Bearer ${FUZZ_KEYS.read}` };
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if ((await fetch(url, { headers })).status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the projector did not project ${url} within ${timeoutMs / 1000} s`);
}
