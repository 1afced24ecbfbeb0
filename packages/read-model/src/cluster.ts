import { Cluster, type ChainableCommander, type Redis } from 'ioredis';
import { StoreError } from './errors.js';
import { run } from './replies.js';

/**
 * One Redis or a Redis Cluster (RAPPORT_REDIS_CLUSTER): every client of Rapport takes either.
 * What differs between them is here, so that the rest of the code is written once:
 *
 * - a pipeline may hold keys of many slots (many customers) on one Redis, but only of one node's
 *   slots on a Cluster: `pipelineOn` gives a pipeline there that sends each command on its own,
 *   in the same tick, which the Cluster client's auto-pipelining groups into one pipeline per
 *   node (one round trip per node, in parallel);
 * - SCAN walks one node: `scanKeys` walks every master;
 * - a multi-key UNLINK must stay in one slot: `unlinkKeys` removes them one command each;
 * - a blocking XREAD of several index shards' streams must too: `slotGroups` says which go
 *   together;
 * - a Cluster answers only if every master does: `pingEveryNode`; writes reach the replicas of
 *   every master a client wrote to: `replicated`.
 *
 * Every script touches the keys of one slot (a customer's `{id}`, an index shard's `{index}` or
 * `{index:<k>}`, the `{identity}` slot), so scripts run alike on both.
 */
export type RedisClient = Redis | Cluster;

/** A pipeline that is valid on either: one `exec()` round trip per node. */
export function pipelineOn(redis: RedisClient): ChainableCommander {
  return redis instanceof Cluster ? clusterPipeline(redis) : redis.pipeline();
}

type Command = (...args: unknown[]) => Promise<unknown>;

/**
 * Records the commands (the pipeline's chaining interface) and sends them all at `exec()`. The
 * replies come back as a pipeline's do: `[error, reply]` per command, in order.
 */
function clusterPipeline(cluster: Cluster): ChainableCommander {
  const calls: { readonly name: string; readonly args: unknown[] }[] = [];
  const exec = () =>
    Promise.all(
      calls.map(({ name, args }) => {
        const command = Reflect.get(cluster, name) as Command;
        return command.apply(cluster, args).then(
          (reply): [null, unknown] => [null, reply],
          (error: unknown): [Error, null] => [asError(error), null],
        );
      }),
    );
  const pipeline: ChainableCommander = new Proxy({} as ChainableCommander, {
    get(_, name) {
      if (name === 'exec') return exec;
      if (name === 'length') return calls.length;
      // Not a thenable: awaiting the pipeline itself must not record a command.
      if (typeof name !== 'string' || name === 'then') return undefined;
      return (...args: unknown[]) => {
        calls.push({ name, args });
        return pipeline;
      };
    },
  });
  return pipeline;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Items of slots of their own (index shards), grouped as one multi-key command may read them:
 * all together on one Redis; each alone on a Cluster, where a command's keys share one slot. The
 * change feed holds one blocking read per group.
 */
export function slotGroups<T>(redis: RedisClient, items: readonly T[]): T[][] {
  return redis instanceof Cluster ? items.map((item) => [item]) : [[...items]];
}

/** The keys matching a SCAN pattern, page by page, on every master of a Cluster. */
export async function* scanKeys(
  redis: RedisClient,
  match: string,
  count: number,
): AsyncGenerator<string[]> {
  for (const node of mastersOf(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}

/** Removes keys of any slots; how many there were. */
export async function unlinkKeys(redis: RedisClient, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  if (!(redis instanceof Cluster)) return redis.unlink(...keys);
  const pipeline = pipelineOn(redis);
  for (const key of keys) pipeline.unlink(key);
  return (await run(pipeline)).reduce<number>((removed, reply) => removed + Number(reply), 0);
}

/**
 * Resolves if every master answers and, on a Cluster, each of them sees the cluster whole
 * (`cluster_state:ok`): a Cluster failing over a master refuses that master's slots while the
 * other masters still answer a PING.
 */
export async function pingEveryNode(redis: RedisClient): Promise<void> {
  if (!(redis instanceof Cluster)) {
    await redis.ping();
    return;
  }
  await Promise.all(
    mastersOf(redis).map(async (node) => {
      const info = await node.cluster('INFO');
      if (!/^cluster_state:ok\s*$/m.test(info)) {
        throw new Error(
          `Redis Cluster node ${node.options.host ?? ''}:${node.options.port ?? ''} sees the cluster down`,
        );
      }
    }),
  );
}

/**
 * Waits until every write this client sent has reached `replicas` replicas of its master
 * (`WAIT`, on each master's connection), or throws if they did not within `timeoutMs`: then a
 * failover could lose them, and the caller must not count them as done.
 */
export async function replicated(
  redis: RedisClient,
  replicas: number,
  timeoutMs: number,
): Promise<void> {
  if (replicas === 0) return;
  await Promise.all(
    mastersOf(redis).map(async (node) => {
      const reached = await node.wait(replicas, timeoutMs);
      if (reached < replicas) {
        throw new StoreError(
          'STORE_NOT_REPLICATED',
          `Redis ${node.options.host ?? ''}:${node.options.port ?? ''}: writes reached ${reached} of ${replicas} replicas within ${timeoutMs} ms`,
          { retriable: true },
        );
      }
    }),
  );
}

function mastersOf(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}
