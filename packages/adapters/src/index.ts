export {
  GENERIC_SIGNATURE,
  MAX_PROPERTIES_LENGTH,
  WebhookSignatureSchema,
  type AdaptContext,
  type AdapterResult,
  type ChannelAdapter,
  type WebhookSignature,
} from './adapter';
export { billingAdapter } from './billing';
export { builtInAdapters } from './builtins';
export { chatAdapter } from './chat';
export { emailAdapter } from './email';
export {
  adapterFromMapping,
  channelMappingSchema,
  parseChannelMapping,
  type ChannelMapping,
  type ChannelMappingResult,
} from './mapping';
export type { CompiledPath, PathSegment } from './path';
export {
  fromSegment,
  SEGMENT_CALL_TYPES,
  segmentBatchSchema,
  segmentCallSchema,
  type SegmentBatch,
  type SegmentCall,
  type SegmentCallType,
  type SegmentContext,
} from './segment';
export { socialAdapter } from './social';
export { supportAdapter } from './support';
