export { GenerationMovedError, StoreError, type StoreErrorCode } from './errors';
export { EMPTY_EXTRAS, ExtrasSchema, extrasFolder, type Extras } from './extras';
export { encodeData } from './codec';
export { connectRedis } from './connect';
export { KeySpace, type CustomerKeys, type IndexKeys } from './keys';
export {
  Projection,
  type PartitionBatch,
  type PositionedEvent,
  type ProjectionOptions,
  type ProjectionResult,
} from './projection';
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
} from './read-model';
export type { StoredCustomer } from './record';
export { WRITE_SCRIPTS } from './scripts';
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
} from './views';
