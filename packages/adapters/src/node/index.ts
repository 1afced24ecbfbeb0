/**
 * What the gateway and the `rapport` command both need beside the pure adapters: the channels a
 * configuration serves (mapping files and the channels file, node:fs), the providers' webhook
 * verification schemes and the generic signature (node:crypto). A separate entry,
 * `@rapport/adapters/node`, so the package's main entry stays free of Node built-ins.
 */
export {
  ChannelsError,
  loadChannels,
  type Channel,
  type ChannelSettings,
  type Verifier,
} from './channels.js';
export { channelAdapters } from './mapping-files.js';
export { PROVIDERS, type Provider } from './providers.js';
export { signatureHeader } from './signature.js';
export { hmacSha256Scheme } from './verify/hmac-sha256.js';
export type {
  HandshakeAnswer,
  Refusal,
  Verdict,
  VerificationScheme,
  WebhookRequest,
} from './verify/scheme.js';
