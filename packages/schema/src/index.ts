export {
  ChannelResultSchema,
  ErrorSchema,
  FollowUpBodySchema,
  FollowUpRequestedSchema,
  IngestResultSchema,
  SegmentResultSchema,
  type ChannelResult,
  type ErrorBody,
  type FollowUpBody,
  type FollowUpRequested,
  type IngestResult,
  type SegmentResult,
} from './answers.js';
export { CodedError, isCodedError, type CodedErrorOptions } from './coded-error.js';
export { instantMs, MAX_INSTANT_MS, MIN_INSTANT_MS } from './instant.js';
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
