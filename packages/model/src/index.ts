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
  withoutExchanges,
} from './catalog.js';
export { stateDifference } from './compare.js';
export { ModelError, type ModelErrorCode } from './errors.js';
export { createModel, type Model } from './model.js';
export { ModelParamsSchema, type ModelParams, type ModelParamsInput } from './params.js';
export {
  HeadlineSchema,
  ReadingSchema,
  StageSchema,
  StatusSchema,
  type Headline,
  type Reading,
  type Stage,
  type Status,
} from './read.js';
export { seededRandom } from './random.js';
export { STATE_VERSION, StateJsonSchema, type StateJson } from './serialize.js';
export type { FoldableEvent, State } from './state.js';
export { anyName, ByteReader, BytesError, ByteWriter, exactCount, utf8Text } from './bytes.js';
export { cyrb53 } from './hash.js';
export { RecentSet } from './recent.js';
export { decodeState, encodeState, STATE_BYTES_VERSION } from './state-bytes.js';
