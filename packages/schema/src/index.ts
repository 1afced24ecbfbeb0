export {
  ChannelResultSchema,
  ErasureReceiptSchema,
  ErrorSchema,
  FollowUpRequestedSchema,
  IdentityLinkBodySchema,
  IdentityLinkResultSchema,
  IngestResultSchema,
  SegmentResultSchema,
  type ChannelResult,
  type ErasureReceipt,
  type ErrorBody,
  type FollowUpRequested,
  type IdentityLinkBody,
  type IdentityLinkResult,
  type IngestResult,
  type SegmentResult,
} from './answers.js';
export { FollowUpBodySchema, type FollowUpBody } from './follow-up.js';
export { CodedError, isCodedError, type CodedErrorOptions } from './coded-error.js';
export {
  LinkViaSchema,
  mergeLinkOf,
  MergeLinkSchema,
  PROFILE_MERGED,
  type LinkVia,
  type MergeLink,
} from './identity.js';
export { instantMs, MAX_INSTANT_MS, MIN_INSTANT_MS } from './instant.js';
export { lazySchema } from './lazy.js';
export {
  AppealSchema,
  ChannelSchema,
  ClientEventTypeSchema,
  DERIVED_EVENT_TYPES,
  DirectionSchema,
  ENGINE_SOURCE,
  EventTypeSchema,
  IdSchema,
  InitiatorSchema,
  InstantSchema,
  InteractionSchema,
  isReservedType,
  LoggedIdSchema,
  MAX_EVENT_VALUE,
  OutcomeSchema,
  RESERVED_TYPE_PREFIXES,
  RESERVED_TYPES,
  SOURCE_HEADER,
  SourceSchema,
  StampedInteractionSchema,
  type DerivedEventType,
  type Interaction,
  type StampedInteraction,
} from './interaction.js';
export {
  parseInteraction,
  parseStampedInteraction,
  parseWith,
  type Issue,
  type ParseResult,
} from './parse.js';
export { futureIssues, INGEST_LIMITS } from './limits.js';
