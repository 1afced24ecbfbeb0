export { GenerationMovedError, StoreError, type StoreErrorCode } from './errors.js';
export { EMPTY_EXTRAS, ExtrasSchema, extrasFolder, type Extras } from './extras.js';
export { encodeData } from './codec.js';
export { connectRedis } from './connect.js';
export { KeySpace, type CustomerKeys, type IndexKeys } from './keys.js';
export {
  Projection,
  type PartitionBatch,
  type PositionedEvent,
  type ProjectionOptions,
  type ProjectionResult,
} from './projection.js';
export {
  connectReadModel,
  INDEX_CHUNK,
  PointerSchema,
  ReadModel,
  readModelOptions,
  type ChangeEntry,
  type CommitOutcome,
  type CustomerWrite,
  type IndexEntry,
  type ListIndex,
  type ListPage,
  type ListQuery,
  type Pointer,
  type Progress,
  type ReadModelOptions,
} from './read-model.js';
export type { StoredCustomer } from './record.js';
export { WRITE_SCRIPTS } from './scripts.js';
export {
  ChangeSchema,
  CustomerListSchema,
  CustomerSummarySchema,
  CustomerViewSchema,
  HistorySchema,
  SnapshotSchema,
  TimelineEntrySchema,
  TimelineSchema,
  customerSummary,
  customerView,
  type Change,
  type CustomerList,
  type CustomerSummary,
  type CustomerView,
  type Snapshot,
  type TimelineEntry,
} from './views.js';
