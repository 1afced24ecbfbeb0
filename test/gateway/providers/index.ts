import type { ProviderCase } from './cases.js';
import { intercomCases } from './intercom.cases.js';
import { mailgunCases } from './mailgun.cases.js';
import { metaCases } from './meta.cases.js';
import { postmarkCases } from './postmark.cases.js';
import { sendgridCases } from './sendgrid.cases.js';
import { slackCases } from './slack.cases.js';
import { stripeCases } from './stripe.cases.js';
import { twilioCases } from './twilio.cases.js';
import { zendeskCases } from './zendesk.cases.js';

/**
 * Every provider's cases, which test/gateway/providers.test.ts drives against one gateway. A
 * provider adds one line here (its `<provider>.cases.ts` beside this file).
 */
export const providerCases: readonly ProviderCase<unknown>[] = [
  ...stripeCases,
  ...sendgridCases,
  ...mailgunCases,
  ...postmarkCases,
  ...zendeskCases,
  ...intercomCases,
  ...slackCases,
  ...twilioCases,
  ...metaCases,
];
