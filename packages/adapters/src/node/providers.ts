import type { ChannelAdapter } from '../adapter.js';
import { billingAdapter } from '../billing.js';
import { chatAdapter } from '../chat.js';
import { emailAdapter } from '../email.js';
import { mailgunAdapter } from '../mailgun.js';
import { metaAdapter } from '../meta.js';
import { postmarkAdapter } from '../postmark.js';
import { slackAdapter } from '../slack.js';
import { supportAdapter } from '../support.js';
import { twilioAdapter } from '../twilio.js';
import { hmacSha256Scheme } from './verify/hmac-sha256.js';
import { intercomScheme } from './verify/intercom.js';
import { mailgunScheme } from './verify/mailgun.js';
import { metaScheme } from './verify/meta.js';
import { postmarkScheme } from './verify/postmark.js';
import type { VerificationScheme } from './verify/scheme.js';
import { sendgridScheme } from './verify/sendgrid.js';
import { slackScheme } from './verify/slack.js';
import { stripeScheme } from './verify/stripe.js';
import { twilioScheme } from './verify/twilio.js';
import { zendeskScheme } from './verify/zendesk.js';

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
  { name: 'sendgrid', adapter: emailAdapter, scheme: sendgridScheme },
  { name: 'mailgun', adapter: mailgunAdapter, scheme: mailgunScheme },
  { name: 'postmark', adapter: postmarkAdapter, scheme: postmarkScheme },
  { name: 'zendesk', adapter: supportAdapter, scheme: zendeskScheme },
  { name: 'intercom', adapter: chatAdapter, scheme: intercomScheme },
  { name: 'slack', adapter: slackAdapter, scheme: slackScheme },
  { name: 'twilio', adapter: twilioAdapter, scheme: twilioScheme },
  { name: 'meta', adapter: metaAdapter, scheme: metaScheme },
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
