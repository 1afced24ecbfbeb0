export {
  GENERIC_SIGNATURE,
  MAX_PROPERTIES_LENGTH,
  WebhookSignatureSchema,
  type AdaptContext,
  type AdapterResult,
  type ChannelAdapter,
  type WebhookSignature,
} from './adapter.js';
export { billingAdapter } from './billing.js';
export { builtInAdapters } from './builtins.js';
export { chatAdapter } from './chat.js';
export { emailAdapter } from './email.js';
export { mailgunAdapter } from './mailgun.js';
export {
  adapterFromMapping,
  channelMappingSchema,
  parseChannelMapping,
  type ChannelMapping,
  type ChannelMappingResult,
} from './mapping.js';
export type { CompiledPath, PathSegment } from './path.js';
export { metaAdapter } from './meta.js';
export { postmarkAdapter } from './postmark.js';
export {
  fromSegment,
  SEGMENT_CALL_TYPES,
  segmentBatchSchema,
  segmentCallSchema,
  type SegmentBatch,
  type SegmentCall,
  type SegmentCallType,
  type SegmentAdapted,
  type SegmentContext,
  type SegmentLink,
} from './segment.js';
export { slackAdapter } from './slack.js';
export { socialAdapter } from './social.js';
export { supportAdapter } from './support.js';
export { twilioAdapter } from './twilio.js';
