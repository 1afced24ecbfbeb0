import { describe, expect, it } from 'vitest';
import { followUpMessage } from '../message.js';
import { WebhookError } from './post.js';
import { postSlack, slackMessage, SlackMessageSchema } from './slack.js';
import { escalation, receiver } from './testing.js';

const message = followUpMessage(escalation, 'https://rapport.example.com');

describe('slackMessage', () => {
  it('writes the message as Block Kit: title, what and the ask, the figures, the link, the origin', () => {
    const written = slackMessage(message);
    expect(written).toEqual({
      text: 'Escalation for customer c-42: trust fell: a request went unanswered past its deadline',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Escalation: customer c-42' } },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text:
              '*Trust fell: a request went unanswered past its deadline at 2025-12-05 09:00 UTC.*\n' +
              'No answer to the repair attempt; the account owner should call.',
          },
        },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Customer*\nc-42' },
            { type: 'mrkdwn', text: '*Stage · status*\nActive · at risk' },
            { type: 'mrkdwn', text: '*Engagement*\n18.2 of 100' },
            { type: 'mrkdwn', text: '*Trust*\n44%' },
            { type: 'mrkdwn', text: '*They gave · you gave*\n3.1 · 12.4 now, 10.0 · 40.0 in all' },
            {
              type: 'mrkdwn',
              text: '*Last heard from them*\n2025-11-20 14:03 UTC, 14 days before',
            },
            { type: 'mrkdwn', text: '*Their rhythm*\nan exchange every 30 days' },
          ],
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: '<https://rapport.example.com/dashboard/#/customers/c-42|Open on the Rapport dashboard>',
          },
        },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: 'Playbook trust-breach, step 3; follow-up followup:c-42:trust_breach:1764925200000',
            },
          ],
        },
      ],
    });
    expect(SlackMessageSchema.parse(written)).toEqual(written);
  });

  it('escapes what Slack reads as markup, and keeps every block within its limits', () => {
    const hostile = slackMessage(
      followUpMessage(
        {
          ...escalation,
          customerId: '<!channel> & co',
          // The longest message a playbook step may carry, all of it markup to escape.
          message: '<@U123>'.repeat(2_000 / 7),
        },
        'https://rapport.example.com',
      ),
    );
    expect(SlackMessageSchema.safeParse(hostile).error).toBeUndefined();
    // Plain text (the header) is never read as markup; mrkdwn is, so it is escaped.
    const mrkdwn = JSON.stringify(hostile.blocks.filter((block) => block.type !== 'header'));
    expect(mrkdwn).not.toMatch(/<!channel>|<@U123>/);
    expect(mrkdwn).toContain('&lt;!channel&gt; &amp; co');
    const asked = hostile.blocks[1];
    expect(asked?.type === 'section' && asked.text?.text).toMatch(/^\*Trust fell[^]*…$/);
  });
});

describe('postSlack', () => {
  const TOKEN = 'XXXXtok3nXXXX';
  const post = (url: string) => postSlack({ name: 'cs-team', url, message, timeoutMs: 2_000 });

  it('posts the Block Kit message as JSON, as Slack expects it', async () => {
    const slack = await receiver((_, response) => response.writeHead(200).end('ok'));
    await expect(post(`${slack.url}/services/T000/B000/${TOKEN}`)).resolves.toBe(200);
    expect(slack.received).toHaveLength(1);
    const [request] = slack.received;
    expect(request?.path).toBe(`/services/T000/B000/${TOKEN}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual(slackMessage(message));
  });

  it("names the destination and the URL's origin only when Slack refuses", async () => {
    // Slack's answers to a revoked webhook and to too many messages.
    const revoked = await receiver((_, response) => response.writeHead(404).end('no_service'));
    const refused = await post(`${revoked.url}/services/T000/B000/${TOKEN}`).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(WebhookError);
    expect(refused).toMatchObject({
      code: 'WEBHOOK_REJECTED',
      retriable: false,
      message: `slack:cs-team ${revoked.url}/… answered 404`,
    });
    const busy = await receiver((_, response) => response.writeHead(429).end('rate_limited'));
    await expect(post(`${busy.url}/services/T000/B000/${TOKEN}`)).rejects.toMatchObject({
      code: 'WEBHOOK_FAILED',
      retriable: true,
    });
  });
});
