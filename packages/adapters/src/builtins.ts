import type { ChannelAdapter } from './adapter';
import { billingAdapter } from './billing';
import { chatAdapter } from './chat';
import { emailAdapter } from './email';
import { socialAdapter } from './social';
import { supportAdapter } from './support';

/** The providers Rapport adapts out of the box, one per channel; mapping files add more. */
export const builtInAdapters: readonly ChannelAdapter[] = [
  emailAdapter,
  supportAdapter,
  chatAdapter,
  socialAdapter,
  billingAdapter,
];
