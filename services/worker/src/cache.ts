import { getHeapStatistics } from 'node:v8';

/** Kept out of the cache for the worker's own use (the SDK keeps 200 MiB). */
const RESERVED_MIB = 512;
/**
 * Heap per cached workflow: a customer workflow measured under 1 MB with zod shared
 * (docs/workflows.md §6), so twice that leaves room for its history growing between tasks.
 */
const MIB_PER_WORKFLOW = 2;
const FEWEST = 100;

/**
 * How many workflows a worker caches when RAPPORT_WORKER_MAX_CACHED_WORKFLOWS is unset: sized
 * from the heap, as the SDK sizes its own default, but from what Rapport's workflows cost. The
 * SDK's assumes about 1.7 MB each, which filled the heap when each cost 1.5–2 MB; a cache too
 * small for the busy customers makes every task of an evicted one replay its whole history.
 */
export function cachedWorkflowsFor(heapLimitMib = getHeapStatistics().heap_size_limit / 2 ** 20) {
  return Math.max(FEWEST, Math.floor((heapLimitMib - RESERVED_MIB) / MIB_PER_WORKFLOW));
}
