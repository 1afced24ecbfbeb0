import { DestinationNameSchema, type DestinationSettings } from '@rapport/config';
import { z } from 'zod';
import { followUpMessage } from '../message.js';
import type { Notification } from '../notification.js';
import { emailOf, sendEmail } from './email.js';
import { postSlack } from './slack.js';
import { postWebhook } from './webhook.js';

/**
 * Where a notify or escalate step goes: the signed generic webhook (the configured URL, or a URL
 * of the step's own), a Slack incoming webhook or an email list, each configured by name.
 */
export const DestinationTargetSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('webhook'), url: z.string().optional() }),
  z.strictObject({ kind: z.literal('slack'), name: DestinationNameSchema }),
  z.strictObject({ kind: z.literal('email'), name: DestinationNameSchema }),
]);
export type Destination = z.output<typeof DestinationTargetSchema>;

/** A destination as a playbook step names it: `webhook`, `slack:<name>` or `email:<name>`. */
export const DestinationSchema = z
  .string()
  .regex(/^(webhook|(slack|email):.*)$/, 'expected webhook, slack:<name> or email:<name>')
  .transform((text) => {
    const at = text.indexOf(':');
    return at < 0 ? { kind: text } : { kind: text.slice(0, at), name: text.slice(at + 1) };
  })
  .pipe(DestinationTargetSchema);

/** How logs and results name a destination: never by its URL. */
export const destinationName = (destination: Destination) =>
  destination.kind === 'webhook' ? 'webhook' : `${destination.kind}:${destination.name}`;

/**
 * Per playbook name, by step index, where a step of the playbook file goes when it is not the
 * configured webhook. It stays in the worker: a step's own URL often carries a token, and whatever
 * a workflow holds (its input, an activity's input or result) is written into its history. A
 * notification names its step, which is all the lookup needs.
 */
export type StepDestinations = ReadonlyMap<string, ReadonlyMap<number, Destination>>;

export interface DestinationDeps {
  readonly webhook: { readonly url: string | undefined; readonly secret: string | undefined };
  readonly destinations: DestinationSettings;
}

/** One step's notification on its way, the same on every attempt. */
export interface Sending {
  readonly notification: Notification;
  /** The follow-up id and the step: the webhook's idempotency key. */
  readonly idempotencyKey: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** How to send to a destination with this configuration, or the setting it misses. */
export type Route =
  | { readonly send: (sending: Sending) => Promise<unknown> }
  | { readonly missing: string };

/**
 * Where a destination leads with the worker's configuration. What is missing is said by the
 * setting's name, never its value: the step is skipped with it, and the worker warns of it at
 * start-up.
 */
export function route(destination: Destination, deps: DestinationDeps): Route {
  const { dashboardUrl } = deps.destinations;
  switch (destination.kind) {
    case 'webhook': {
      const { secret } = deps.webhook;
      const url = destination.url ?? deps.webhook.url;
      if (url === undefined) return { missing: 'RAPPORT_FOLLOWUP_WEBHOOK_URL is not set' };
      if (secret === undefined) return { missing: 'RAPPORT_FOLLOWUP_WEBHOOK_SECRET is not set' };
      return { send: (sending) => postWebhook({ ...sending, url, secret }) };
    }
    case 'slack': {
      const { name } = destination;
      const url = deps.destinations.slack.get(name);
      if (url === undefined) return { missing: `slack:${name} is not in RAPPORT_SLACK_WEBHOOKS` };
      return {
        send: ({ notification, timeoutMs, signal }) =>
          postSlack({
            name,
            url,
            message: followUpMessage(notification, dashboardUrl),
            timeoutMs,
            signal,
          }),
      };
    }
    case 'email': {
      const { name } = destination;
      const { email } = deps.destinations;
      const to = email?.recipients.get(name);
      if (email === undefined || to === undefined) {
        return { missing: `email:${name} is not in RAPPORT_EMAIL_RECIPIENTS` };
      }
      return {
        send: ({ notification, timeoutMs, signal }) =>
          sendEmail({
            name,
            smtp: email.smtp,
            // Its Message-ID comes from the notification's follow-up and step.
            mail: emailOf(
              followUpMessage(notification, dashboardUrl),
              { from: email.from, to },
              notification,
            ),
            timeoutMs,
            signal,
          }),
      };
    }
  }
}
