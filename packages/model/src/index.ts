export {
  CatalogEntrySchema,
  CatalogPatchSchema,
  ChannelTraitsPatchSchema,
  ChannelTraitsSchema,
  DEFAULT_CATALOG,
  DEFAULT_CHANNELS,
  EventKindSchema,
  MilestoneSchema,
  OTHER,
  UNKNOWN_CHANNEL,
  UNKNOWN_EVENT,
  type CatalogEntry,
  type CatalogPatch,
  type ChannelTraits,
  type EventKind,
  type Milestone,
} from './catalog';
export { ModelError, type ModelErrorCode } from './errors';
export { createModel, type Model } from './model';
export { ModelParamsSchema, type ModelParams, type ModelParamsInput } from './params';
export {
  HeadlineSchema,
  ReadingSchema,
  StageSchema,
  StatusSchema,
  type Headline,
  type Reading,
  type Stage,
  type Status,
} from './read';
export { seededRandom } from './random';
export { STATE_VERSION, StateJsonSchema, type StateJson } from './serialize';
export type { FoldableEvent, State } from './state';
export { ByteReader, BytesError, ByteWriter } from './bytes';
export { decodeState, encodeState, STATE_BYTES_VERSION } from './state-bytes';
