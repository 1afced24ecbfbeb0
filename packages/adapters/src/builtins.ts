import type { ChannelAdapter } from './adapter.js';
import { billingAdapter } from './billing.js';
import { chatAdapter } from './chat.js';
import { emailAdapter } from './email.js';
import { socialAdapter } from './social.js';
import { supportAdapter } from './support.js';

/** The providers Rapport adapts out of the box, one per channel; mapping files add more. */
export const builtInAdapters: readonly ChannelAdapter[] = [
  emailAdapter,
  supportAdapter,
  chatAdapter,
  socialAdapter,
  billingAdapter,
];
