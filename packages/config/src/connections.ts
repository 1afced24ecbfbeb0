import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { commaList, hostPort } from './lists.js';

/**
 * How the connections to Kafka, Redis and Temporal are encrypted and authenticated: the
 * variables, the checks across them, and the settings they become. Certificate and key files are
 * read here, once, while the configuration is parsed: a missing or unreadable file stops
 * start-up naming its variable, never later at the first connection, and its contents are never
 * part of a message.
 */

/** A PEM file (certificate, CA bundle or private key), read into memory. */
const pemFile = z.string().transform((path, context) => {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (error) {
    context.addIssue({ code: 'custom', message: `cannot read the file (${errorCode(error)})` });
    return z.NEVER;
  }
  if (!pem.includes('-----BEGIN ')) {
    context.addIssue({ code: 'custom', message: 'expected a PEM file ("-----BEGIN …")' });
    return z.NEVER;
  }
  return pem;
});

const errorCode = (error: unknown) =>
  error instanceof Error && 'code' in error ? String(error.code) : String(error);

/** An on/off switch: `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`). */
const flag = z.stringbool({ error: 'expected true or false' }).default(false);

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/** The variables, keyed without the `RAPPORT_` prefix like every other. */
export const connectionEnvSchema = z.object({
  KAFKA_TLS: flag,
  KAFKA_TLS_CA_FILE: pemFile.optional(),
  KAFKA_TLS_CERT_FILE: pemFile.optional(),
  KAFKA_TLS_KEY_FILE: pemFile.optional(),
  KAFKA_SASL_MECHANISM: z.enum(SASL_MECHANISMS).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  REDIS_TLS_CA_FILE: pemFile.optional(),
  /**
   * RAPPORT_REDIS_URL names one node of a Redis Cluster (any: the client finds the others from
   * it), reached with ioredis's Cluster client instead of one connection.
   */
  REDIS_CLUSTER: flag,
  /**
   * More nodes of the Cluster to start from, `host:port,…`, beside RAPPORT_REDIS_URL's (whose
   * user, password and scheme they share): a client that starts while that node is down finds
   * the Cluster through another.
   */
  REDIS_CLUSTER_NODES: commaList.pipe(z.array(hostPort)).default([]),
  /**
   * Replicas every read-model write must reach (Redis `WAIT`) before the projector commits the
   * batch's offsets: with replicas, a master's failover then loses nothing the log will not bring
   * again. 0 (the default) waits for none, which is right without replicas.
   */
  REDIS_WAIT_REPLICAS: z.coerce.number().int('expected a whole number').min(0).max(16).default(0),
  TEMPORAL_TLS: flag,
  TEMPORAL_TLS_CA_FILE: pemFile.optional(),
  TEMPORAL_TLS_CERT_FILE: pemFile.optional(),
  TEMPORAL_TLS_KEY_FILE: pemFile.optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
});

/** With the endpoints, which say whether a server is given or embedded. */
type ConnectionEnv = z.output<typeof connectionEnvSchema> & {
  KAFKA_BROKERS?: string[] | undefined;
  REDIS_URL?: string | undefined;
  TEMPORAL_ADDRESS?: string | undefined;
};

/** Temporal Cloud's API keys are only ever sent encrypted, so one turns TLS on. */
const temporalTlsOn = (env: ConnectionEnv) =>
  env.TEMPORAL_TLS || env.TEMPORAL_API_KEY !== undefined;

const TLS_FILES = ['CA_FILE', 'CERT_FILE', 'KEY_FILE'] as const;
const SASL_CREDENTIALS = ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const;

/**
 * Settings that only make sense together: files for a TLS that is off, half a client
 * certificate, a SASL mechanism without its credentials (or the reverse), a CA for a plain URL.
 * Each issue names the variable to set or unset.
 */
export function requireConsistentConnections(
  env: ConnectionEnv,
  context: z.core.$RefinementCtx,
): void {
  const issue = (variable: string, message: string) =>
    context.addIssue({ code: 'custom', path: [variable], message });
  const engines = [
    ['KAFKA', env.KAFKA_TLS, 'RAPPORT_KAFKA_TLS=true'],
    ['TEMPORAL', temporalTlsOn(env), 'RAPPORT_TEMPORAL_TLS=true (or an API key)'],
  ] as const;
  for (const [engine, tlsOn, turnOn] of engines) {
    const given = (file: (typeof TLS_FILES)[number]) =>
      env[`${engine}_TLS_${file}` as const] !== undefined;
    for (const file of TLS_FILES.filter((file) => !tlsOn && given(file))) {
      issue(`${engine}_TLS_${file}`, `only used with TLS: set ${turnOn}`);
    }
    if (given('CERT_FILE') !== given('KEY_FILE')) {
      const [missing, present] = given('CERT_FILE')
        ? ['KEY_FILE', 'CERT_FILE']
        : ['CERT_FILE', 'KEY_FILE'];
      issue(
        `${engine}_TLS_${missing}`,
        `required with RAPPORT_${engine}_TLS_${present} (a client certificate goes with its key)`,
      );
    }
  }
  if (env.KAFKA_SASL_MECHANISM !== undefined) {
    for (const variable of SASL_CREDENTIALS.filter((name) => env[name] === undefined)) {
      issue(variable, 'required when RAPPORT_KAFKA_SASL_MECHANISM is set');
    }
  } else if (SASL_CREDENTIALS.some((name) => env[name] !== undefined)) {
    issue('KAFKA_SASL_MECHANISM', `required with SASL credentials: ${SASL_MECHANISMS.join(', ')}`);
  }
  if (env.REDIS_TLS_CA_FILE !== undefined && !env.REDIS_URL?.startsWith('rediss://')) {
    issue('REDIS_TLS_CA_FILE', 'only used with TLS: set a rediss:// RAPPORT_REDIS_URL');
  }
  // The embedded servers (`rapport up`, the tests) speak plaintext and take no credentials: TLS
  // or SASL towards one would fail its health check only after the whole start-up timeout.
  const embedded = [
    [env.KAFKA_BROKERS, 'RAPPORT_KAFKA_BROKERS', ['KAFKA_TLS', 'KAFKA_SASL_MECHANISM']],
    [env.TEMPORAL_ADDRESS, 'RAPPORT_TEMPORAL_ADDRESS', ['TEMPORAL_TLS', 'TEMPORAL_API_KEY']],
  ] as const;
  for (const [endpoint, endpointVariable, variables] of embedded) {
    if (endpoint !== undefined) continue;
    for (const variable of variables.filter((name) => env[name])) {
      issue(
        variable,
        `for a server of your own: set ${endpointVariable} (embedded ones speak plaintext)`,
      );
    }
  }
}

/**
 * TLS to a server: the CA to trust instead of the system's (a private CA), and the client's
 * certificate for mutual TLS.
 */
function tlsSettings(ca?: Buffer, cert?: Buffer, key?: Buffer) {
  return { ...(ca && { ca }), ...(cert && key && { client: { cert, key } }) };
}

/** Kafka: `tls` when RAPPORT_KAFKA_TLS is on, `sasl` when a mechanism is set. */
export function kafkaConnection(env: ConnectionEnv) {
  const {
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
  } = env;
  return {
    ...(env.KAFKA_TLS && {
      tls: tlsSettings(env.KAFKA_TLS_CA_FILE, env.KAFKA_TLS_CERT_FILE, env.KAFKA_TLS_KEY_FILE),
    }),
    // requireConsistentConnections refused a mechanism without both credentials.
    ...(mechanism && username && password && { sasl: { mechanism, username, password } }),
  };
}

/**
 * Redis: the user and password ride in the URL; TLS is a rediss:// URL, `ca` its private CA;
 * `cluster` when the URL is a node of a Redis Cluster.
 */
export function redisConnection(env: ConnectionEnv) {
  return {
    cluster: env.REDIS_CLUSTER,
    clusterNodes: env.REDIS_CLUSTER_NODES,
    waitReplicas: env.REDIS_WAIT_REPLICAS,
    ...(env.REDIS_TLS_CA_FILE && { ca: env.REDIS_TLS_CA_FILE }),
  };
}

/** Temporal: `tls` when on (an API key turns it on), and the API key. */
export function temporalConnection(env: ConnectionEnv) {
  return {
    ...(temporalTlsOn(env) && {
      tls: tlsSettings(
        env.TEMPORAL_TLS_CA_FILE,
        env.TEMPORAL_TLS_CERT_FILE,
        env.TEMPORAL_TLS_KEY_FILE,
      ),
    }),
    ...(env.TEMPORAL_API_KEY && { apiKey: env.TEMPORAL_API_KEY }),
  };
}
