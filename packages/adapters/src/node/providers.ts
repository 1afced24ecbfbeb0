import type { ChannelAdapter } from '../adapter.js';
import { billingAdapter } from '../billing.js';
import { hmacSha256Scheme } from './verify/hmac-sha256.js';
import type { VerificationScheme } from './verify/scheme.js';
import { stripeScheme } from './verify/stripe.js';

/**
 * A provider Rapport can be pointed at with configuration alone: the pure adapter that maps its
 * payloads to canonical events, and the scheme that verifies its requests. A channel of the
 * channels file names one (`provider: stripe`); docs/channels.md says how to connect each.
 */
export interface Provider {
  /** Its name in the channels file. */
  readonly name: string;
  readonly adapter: ChannelAdapter;
  readonly scheme: VerificationScheme<unknown>;
}

/** The registry. Adding a provider is one line here. */
export const PROVIDERS: readonly Provider[] = [
  { name: 'stripe', adapter: billingAdapter, scheme: stripeScheme },
];

/**
 * Every scheme by name: the providers', and the generic HMAC-SHA256 that channels without a
 * provider use (the built-in adapters, mapping files). A mapping file may name any of them.
 */
export const SCHEMES: ReadonlyMap<string, VerificationScheme<unknown>> = new Map(
  [hmacSha256Scheme, ...PROVIDERS.map((provider) => provider.scheme)].map((scheme) => [
    scheme.name,
    scheme,
  ]),
);
