/**
 * The floor under the gateway's single events, as a process of its own for `bench:ingest`:
 * node:http, each POST's JSON parsed, stamped and published through the gateway's own producer
 * (@rapport/kafka's: acks=-1, idempotent, one flush at a time carrying every publish that queued
 * meanwhile), answered 202 once Kafka acknowledged. No authentication, validation, rate limit,
 * deduplication or Redis: what is left is the HTTP hop and the publish, which the gateway cannot
 * go under. Any request but a POST (`GET /readyz`) is answered 200 at once. Takes the topics of
 * RAPPORT_TOPIC_INTERACTIONS and RAPPORT_TOPIC_DLQ on RAPPORT_KAFKA_BROKERS; listens on FLOOR_PORT.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { loadConfig } from '@rapport/config';
import { createInteractionProducer, createKafka, provisionTopics } from '@rapport/kafka';
import type { StampedInteraction } from '@rapport/schema';

const port = Number(process.env['FLOOR_PORT']);
const config = loadConfig();
const kafka = createKafka(config.kafka);
await provisionTopics(kafka, config.kafka);
const producer = createInteractionProducer(kafka, config.kafka);
await producer.connect();

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
      // Trusted as it comes: the gateway's validation is what this floor leaves out.
      const event = JSON.parse(await bodyOf(request)) as StampedInteraction;
      const stamped = Object.assign(event, {
        receivedAt: new Date().toISOString(),
        source: 'http',
      });
      await producer.publish([stamped], { timeoutMs: config.gateway.publishTimeoutMs });
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
