import { redactUrl } from '@rapport/config';
import { z } from 'zod';
import type { FollowUpMessage } from '../message.js';
import { postJson } from './post.js';

/*
 * The part of Slack's Block Kit these messages use, with the limits Slack documents for each
 * block (docs.slack.dev/reference/block-kit/blocks): a block over its limit makes Slack refuse the
 * whole message (400, `invalid_blocks`), which no retry mends.
 */
const text = <Type extends 'plain_text' | 'mrkdwn'>(type: Type, max: number) =>
  z.strictObject({ type: z.literal(type), text: z.string().min(1).max(max) });

export const SlackMessageSchema = z.strictObject({
  /** Shown in notifications, and wherever blocks cannot be. */
  text: z.string().min(1).max(40_000),
  blocks: z
    .array(
      z.discriminatedUnion('type', [
        z.strictObject({ type: z.literal('header'), text: text('plain_text', 150) }),
        z.strictObject({
          type: z.literal('section'),
          text: text('mrkdwn', 3_000).optional(),
          fields: z.array(text('mrkdwn', 2_000)).min(1).max(10).optional(),
        }),
        z.strictObject({
          type: z.literal('context'),
          elements: z.array(text('mrkdwn', 2_000)).min(1).max(10),
        }),
      ]),
    )
    .min(1)
    .max(50),
});
export type SlackMessage = z.infer<typeof SlackMessageSchema>;

/** Slack reads `&`, `<` and `>` as markup (links, mentions) unless escaped. */
const escaped = (raw: string) =>
  raw.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** `raw` escaped within `max` characters, cut with an ellipsis when it does not fit. */
function fit(raw: string, max: number, escape: (raw: string) => string = escaped): string {
  let kept = raw;
  let shown = escape(kept);
  while (shown.length > max) {
    kept = kept.slice(0, Math.max(0, kept.length - (shown.length - max) - 1));
    shown = `${escape(kept)}…`;
  }
  return shown;
}

/** The message as Block Kit: title, what happened and the ask, the figures, the link, the origin. */
export function slackMessage(message: FollowUpMessage): SlackMessage {
  const what = `*${fit(message.what, 500)}*\n`;
  return {
    text: fit(message.summary, 40_000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: fit(message.title, 150, (raw) => raw) } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: what + fit(message.ask, 3_000 - what.length) },
      },
      {
        type: 'section',
        fields: message.facts.slice(0, 10).map(([label, value]) => ({
          type: 'mrkdwn' as const,
          text: `*${escaped(label)}*\n${fit(value, 1_900)}`,
        })),
      },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `<${escaped(message.link)}|Open on the Rapport dashboard>` },
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: fit(message.origin, 2_000) }] },
    ],
  };
}

export interface SlackDelivery {
  /** The destination's name (`slack:<name>`): how errors name it, with the URL's origin only. */
  readonly name: string;
  /** The incoming webhook's URL: it authorizes posting, so it is never written down. */
  readonly url: string;
  readonly message: FollowUpMessage;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * One attempt at a Slack incoming webhook; throws WebhookError as the generic webhook does (Slack
 * answers a refused message with a 4xx: not retried; 429 and 5xx are).
 */
export function postSlack(delivery: SlackDelivery): Promise<number> {
  return postJson({
    target: `slack:${delivery.name} ${redactUrl(delivery.url)}`,
    url: delivery.url,
    body: JSON.stringify(slackMessage(delivery.message)),
    timeoutMs: delivery.timeoutMs,
    signal: delivery.signal,
  });
}
