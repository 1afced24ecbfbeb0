import { createHash } from 'node:crypto';
import { createModel } from '@rapport/model';
import type { StampedInteraction } from '@rapport/schema';
import {
  FollowUpProgressSchema,
  progressQuery,
  SlackMessageSchema,
  type followUp,
} from '@rapport/workflows';
import type { types as slack } from '@slack/bolt';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { interaction, MINUTE, readable, type Rig, startPlaybookRig } from './helpers.js';
import {
  parseMail,
  startSlackReceiver,
  startSmtpReceiver,
  type SlackReceiver,
  type SmtpReceiver,
} from './receivers.js';

/** What authorizes posting (the webhook's path) and sending (the SMTP password): never written down. */
const SLACK_TOKEN = 'sl4ck-t0k3n-8c1e';
const SMTP_PASSWORD = 'smtp-pa55-71d0';
const DASHBOARD = 'https://rapport.example.com';

const model = createModel();
let slackReceiver: SlackReceiver;
let smtp: SmtpReceiver;
let env: TestWorkflowEnvironment;
let rig: Rig;

beforeAll(async () => {
  [slackReceiver, smtp] = await Promise.all([
    startSlackReceiver(),
    startSmtpReceiver('rapport', SMTP_PASSWORD),
  ]);
  ({ env, rig } = await startPlaybookRig({
    label: 'wf-destinations',
    playbookLines: [
      'playbooks:',
      '  - name: trust-breach',
      '    when: { triggers: [trust_breach] }',
      '    steps:',
      '      - { kind: escalate, message: Repair it., destination: slack:cs-team }',
      '      - { kind: escalate, message: Call them., destination: email:cs-leads }',
      '      - { kind: notify, message: Tell the CRM., destination: slack:crm }',
      '      - { kind: close, outcome: no_response }',
    ],
    overrides: {
      RAPPORT_SLACK_WEBHOOKS: `cs-team=${slackReceiver.origin}/services/T0001/B0001/${SLACK_TOKEN}`,
      RAPPORT_SMTP_URL: `smtp://rapport:${SMTP_PASSWORD}@127.0.0.1:${smtp.port}`,
      RAPPORT_EMAIL_FROM: 'rapport@example.com',
      RAPPORT_EMAIL_RECIPIENTS: 'cs-leads=ana@example.com bo@example.com',
      RAPPORT_DASHBOARD_URL: DASHBOARD,
    },
  }));
}, 60_000);

afterAll(async () => {
  await rig?.stop();
  await env?.teardown();
  await Promise.all([slackReceiver?.close(), smtp?.close()]);
});

beforeEach(() => {
  for (const receiver of [slackReceiver, smtp]) {
    receiver.received.length = 0;
    receiver.answers.length = 0;
  }
  smtp.recipients.length = 0;
  smtp.recipientAnswers.clear();
});

/**
 * A customer's chat request left unanswered past its 15 minutes: a trust breach, whose follow-up
 * runs the playbook above to its end. Its id, the request, and what each step recorded.
 */
async function unansweredChat(label: string) {
  const customer = `${label}-${rig.names.id}`;
  const request = interaction(customer, await env.currentTimeMs(), {
    type: 'chat.message',
    direction: 'inbound',
    channel: 'chat',
    threadId: 't',
    expectsResponse: true,
  });
  await rig.deliver(customer, [request]);
  await env.sleep(20 * MINUTE);
  const { followUps } = await rig.until(customer, ({ followUps }) => followUps.length === 1);
  const id = followUps[0]?.id ?? '';
  const handle = env.client.workflow.getHandle<typeof followUp>(id);
  // Awaiting the result lets the server skip through the retries' back-off.
  expect((await handle.result()).outcome).toBe('no_response');
  const progress = FollowUpProgressSchema.parse(await handle.query(progressQuery));
  return { customer, id, request, results: progress.steps.map((step) => step.result) };
}

const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** The customer at the drop as the model reads it: the request and the engine's verdict on it. */
async function atTheDrop(customer: string, request: StampedInteraction) {
  const missed = (await rig.derived(customer)).find((event) => event.type === 'sla.missed');
  if (missed === undefined) throw new Error('no sla.missed published');
  const at = Date.parse(missed.occurredAt);
  const reading = model.at(model.apply(model.apply(model.empty(), request), missed), at);
  const [drop] = (await rig.describe(customer)).view.drops;
  return { at, reading, stage: drop?.stage ?? '' };
}

const SKIPPED = 'skipped: slack:crm is not in RAPPORT_SLACK_WEBHOOKS';

describe('follow-ups reach Slack and email (time-skipping server, real receivers)', () => {
  it('sends one Slack message and one email, each saying who, what, why in numbers, and where', async () => {
    const { customer, id, request, results } = await unansweredChat('reach');
    expect(results).toEqual(['delivered', 'delivered', SKIPPED, 'no_response']);
    const { at, reading, stage } = await atTheDrop(customer, request);
    const what = 'trust fell: a request went unanswered past its deadline';
    const figures = {
      engagement: `${reading.engagement.toFixed(1)} of 100`,
      trust: `${Math.round(reading.trust.value * 100)}%`,
      gave:
        `${reading.ledger.given.toFixed(1)} · ${reading.ledger.received.toFixed(1)} now, ` +
        `${reading.ledger.lifetime.given.toFixed(1)} · ${reading.ledger.lifetime.received.toFixed(1)} in all`,
      heard: `${utc(Date.parse(request.occurredAt))}, 15 minutes before`,
    };
    const link = `${DASHBOARD}/dashboard/#/customers/${customer}`;

    // Slack: exactly one request, to the webhook's path, with this Block Kit message (typed by
    // Slack's own definitions, and within the limits Slack documents).
    expect(slackReceiver.received).toHaveLength(1);
    const [posted] = slackReceiver.received;
    expect(posted).toMatchObject({
      path: `/services/T0001/B0001/${SLACK_TOKEN}`,
      contentType: 'application/json',
      status: 200,
    });
    const expected: { text: string; blocks: slack.KnownBlock[] } = {
      text: `Escalation for customer ${customer}: ${what}`,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: `Escalation: customer ${customer}` } },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: `*Trust fell: a request went unanswered past its deadline at ${utc(at)}.*\nRepair it.`,
          },
        },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: `*Customer*\n${customer}` },
            {
              type: 'mrkdwn',
              text: `*Stage · status*\n${`${stage} · ${reading.status}`.replace(/_/g, ' ').replace(/^./, (first) => first.toUpperCase())}`,
            },
            { type: 'mrkdwn', text: `*Engagement*\n${figures.engagement}` },
            { type: 'mrkdwn', text: `*Trust*\n${figures.trust}` },
            { type: 'mrkdwn', text: `*They gave · you gave*\n${figures.gave}` },
            { type: 'mrkdwn', text: `*Last heard from them*\n${figures.heard}` },
          ],
        },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: `<${link}|Open on the Rapport dashboard>` },
        },
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: `Playbook trust-breach, step 1; follow-up ${id}` }],
        },
      ],
    };
    const body: unknown = JSON.parse(posted?.body ?? '');
    expect(body).toEqual(expected);
    expect(SlackMessageSchema.safeParse(body).error).toBeUndefined();

    // Email: exactly one message, accepted, with a Message-ID derived from the follow-up and the
    // step, and both bodies saying the same numbers and the link.
    expect(smtp.received).toHaveLength(1);
    const [sent] = smtp.received;
    expect(sent).toMatchObject({
      from: 'rapport@example.com',
      to: ['ana@example.com', 'bo@example.com'],
      user: 'rapport',
      status: 250,
    });
    const mail = parseMail(sent?.raw ?? '');
    const thread = createHash('sha256').update(id).digest('hex').slice(0, 32);
    expect(Object.fromEntries(mail.headers)).toMatchObject({
      subject: `Escalation for customer ${customer}: ${what}`,
      from: 'Rapport <rapport@example.com>',
      to: 'ana@example.com, bo@example.com',
      'message-id': `<rapport.${thread}.1@example.com>`,
      references: `<rapport.${thread}@example.com>`,
      'auto-submitted': 'auto-generated',
      'x-rapport-follow-up': id,
    });
    for (const figure of [...Object.values(figures), customer, 'Call them.']) {
      expect(mail.text).toContain(figure);
      expect(mail.html).toContain(figure);
    }
    expect(mail.text).toContain(`Open on the Rapport dashboard: ${link}`);
    expect(mail.html).toContain(`<a href="${link}">`);
  });

  it('retries a Slack 500 and an SMTP 451 with the same message: one delivery each', async () => {
    slackReceiver.answers.push(500);
    smtp.answers.push(451);
    const { results } = await unansweredChat('retry');
    expect(results).toEqual(['delivered', 'delivered', SKIPPED, 'no_response']);
    const posts = slackReceiver.received;
    expect(posts.map((post) => post.status)).toEqual([500, 200]);
    expect(posts[1]?.body).toBe(posts[0]?.body);
    const mails = smtp.received;
    expect(mails.map((mail) => mail.status)).toEqual([451, 250]);
    const ids = mails.map((mail) => parseMail(mail.raw).headers.get('message-id'));
    expect(ids[1]).toBe(ids[0]);
  });

  it('records a refusal as a failed step, without retrying it or writing down a secret', async () => {
    slackReceiver.answers.push(404);
    smtp.answers.push(550);
    const { customer, id, results } = await unansweredChat('refused');
    expect(results).toEqual([
      `failed: slack:cs-team ${slackReceiver.origin}/… answered 404`,
      `failed: email:cs-leads smtp://127.0.0.1:${smtp.port} answered 550 to DATA`,
      SKIPPED,
      'no_response',
    ]);
    expect(slackReceiver.received).toHaveLength(1);
    expect(smtp.received).toHaveLength(1);
    for (const workflowId of [id, `customer:${customer}`]) {
      const history = readable(await env.client.workflow.getHandle(workflowId).fetchHistory());
      expect(history).not.toContain(SLACK_TOKEN);
      expect(history).not.toContain(SMTP_PASSWORD);
      expect(history).not.toContain('ana@example.com');
    }
  });

  it('retries a recipient’s 450: a message that reached only some of the list is not delivered', async () => {
    // The server defers one recipient and takes the other: nodemailer sends to that one and
    // resolves, which is no delivery. The retry reaches both, with the same message.
    smtp.recipientAnswers.set('ana@example.com', [450]);
    const { results } = await unansweredChat('deferred');
    expect(results).toEqual(['delivered', 'delivered', SKIPPED, 'no_response']);
    expect(smtp.recipients).toEqual([
      { address: 'ana@example.com', status: 450 },
      { address: 'bo@example.com', status: 250 },
      { address: 'ana@example.com', status: 250 },
      { address: 'bo@example.com', status: 250 },
    ]);
    const mails = smtp.received;
    expect(mails.map((mail) => mail.to)).toEqual([
      ['bo@example.com'],
      ['ana@example.com', 'bo@example.com'],
    ]);
    const ids = mails.map((mail) => parseMail(mail.raw).headers.get('message-id'));
    expect(ids[1]).toBe(ids[0]);
  });

  it('fails a recipient’s 550 once, beside a 450 or an accepted recipient, naming neither', async () => {
    const failed = `failed: email:cs-leads smtp://127.0.0.1:${smtp.port} answered 550 to RCPT TO`;
    // One refused for good, the other accepted: the message goes to the one, and is not retried.
    smtp.recipientAnswers.set('bo@example.com', [550]);
    const partly = await unansweredChat('rcpt-partly');
    expect(partly.results).toEqual([
      'delivered',
      `${failed} for 1 of 2 recipients`,
      SKIPPED,
      'no_response',
    ]);
    expect(smtp.recipients).toEqual([
      { address: 'ana@example.com', status: 250 },
      { address: 'bo@example.com', status: 550 },
    ]);
    expect(smtp.received.map((mail) => mail.to)).toEqual([['ana@example.com']]);

    // One deferred, the other refused for good: nothing is sent (nodemailer reports the 450), and
    // the 550 is what a retry would meet again, so there is none.
    smtp.recipients.length = 0;
    smtp.received.length = 0;
    smtp.recipientAnswers.set('ana@example.com', [450, 450]);
    smtp.recipientAnswers.set('bo@example.com', [550, 550]);
    const refused = await unansweredChat('rcpt-refused');
    expect(refused.results).toEqual([
      'delivered',
      `${failed} for 2 of 2 recipients`,
      SKIPPED,
      'no_response',
    ]);
    expect(smtp.recipients).toEqual([
      { address: 'ana@example.com', status: 450 },
      { address: 'bo@example.com', status: 550 },
    ]);
    expect(smtp.received).toEqual([]);

    for (const { customer, id } of [partly, refused]) {
      for (const workflowId of [id, `customer:${customer}`]) {
        const history = readable(await env.client.workflow.getHandle(workflowId).fetchHistory());
        expect(history).not.toContain('ana@example.com');
        expect(history).not.toContain('bo@example.com');
        expect(history).not.toContain('Not this one');
      }
    }
  });
});
