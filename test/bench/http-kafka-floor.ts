/**
 * The least any HTTP gateway to Kafka can do, as a process of its own for `bench:ingest`: node:http,
 * each POST's JSON parsed, stamped and sent as one record by a plain kafkajs producer with the
 * gateway's guarantees (`rawProducer`: acks=-1, idempotent, one request in flight), answered 202
 * once Kafka acknowledged. No authentication, validation, rate limit, deduplication or Redis: what
 * is left of a gateway's latency is the HTTP hop and the produce, which the gateway cannot go
 * under. Any other method (`GET /readyz`, `GET /healthz`) is answered 200 at once. Runs on FLOOR_PORT, writing to FLOOR_TOPIC on the brokers
 * in RAPPORT_KAFKA_BROKERS.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { loadConfig } from '@rapport/config';
import { rawProducer } from './infra.js';

const port = Number(process.env['FLOOR_PORT']);
const topic = process.env['FLOOR_TOPIC'] ?? '';
const config = loadConfig();
const producer = await rawProducer(config, [topic], config.kafka.partitions);

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const server = createServer((request, response) => {
  if (request.method !== 'POST') {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  void (async () => {
    try {
      const event = JSON.parse(await bodyOf(request)) as { customerId: string };
      const stamped = Object.assign(event, {
        receivedAt: new Date().toISOString(),
        source: 'http',
      });
      await producer.send({
        topic,
        acks: -1,
        messages: [{ key: event.customerId, value: JSON.stringify(stamped) }],
      });
      response
        .writeHead(202, { 'content-type': 'application/json' })
        .end('{"accepted":1,"duplicates":0}');
    } catch (error) {
      response.writeHead(500).end(String(error));
    }
  })();
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1');

process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void producer.disconnect().finally(() => process.exit(0));
});
