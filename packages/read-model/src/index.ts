export { GenerationMovedError, StoreError, type StoreErrorCode } from './errors.js';
export { EMPTY_EXTRAS, ExtrasSchema, extrasFolder, type Extras } from './extras.js';
export { encodeData } from './codec.js';
export { encodeSnapshot } from './history.js';
export { dataOf } from './logs.js';
export { eraseFromReadModel, type ReadModelErasure } from './erasure.js';
export { connectRedis } from './connect.js';
export { pipelineOn, scanKeys, slotGroups, type RedisClient } from './cluster.js';
export {
  indexShards,
  KeySpace,
  type CustomerKeys,
  type IndexKeys,
  type IndexShard,
} from './keys.js';
export { Generations, PointerSchema, type Pointer } from './generations.js';
export type { PartitionBatch, PositionedEvent } from './projection/layers.js';
export {
  projectFromLog,
  type LogProjection,
  type LogProjectionOptions,
  type Projected,
} from './projection/from-log.js';
export {
  Projection,
  type ProjectionOptions,
  type ProjectionResult,
} from './projection/projection.js';
export {
  rebuildGeneration,
  type RebuildOptions,
  type RebuildProgress,
  type RebuildResult,
} from './projection/rebuild.js';
export {
  connectReadModel,
  ReadModel,
  readModelOptions,
  type ReadModelOptions,
} from './read-model.js';
export {
  ReadModelReader,
  type ListIndex,
  type ListPage,
  type ListQuery,
  type ShardChange,
} from './reader.js';
export { run, type ChangeEntry } from './replies.js';
export {
  INDEX_CHUNK,
  ReadModelWriter,
  type CommitOutcome,
  type CustomerWrite,
  type IndexEntry,
  type Progress,
} from './writer.js';
export type { StoredCustomer } from './record.js';
export { WRITE_SCRIPTS } from './scripts.js';
export {
  ChangeSchema,
  CustomerListSchema,
  CustomerSummarySchema,
  CustomerViewSchema,
  HistorySchema,
  SnapshotSchema,
  SummarySchema,
  TimelineEntrySchema,
  TimelineSchema,
  customerSummary,
  customerView,
  type Change,
  type CustomerList,
  type CustomerSummary,
  type CustomerView,
  type Snapshot,
  type Summary,
  type TimelineEntry,
} from './views.js';
