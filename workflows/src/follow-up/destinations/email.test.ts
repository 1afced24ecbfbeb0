import { describe, expect, it } from 'vitest';
import { followUpMessage } from '../message.js';
import { EmailError, emailHtml, emailOf, emailText, sendEmail } from './email.js';
import { escalation } from './testing.js';

const message = followUpMessage(escalation, 'https://rapport.example.com');
const addressing = { from: 'rapport@example.com', to: ['ana@example.com', 'bo@example.com'] };
const identity = { followUpId: escalation.followUpId, step: 2 };

describe('emailOf', () => {
  it('has a Message-ID derived from the follow-up and the step, the same on every attempt', () => {
    const mail = emailOf(message, addressing, identity);
    expect(mail.messageId).toMatch(/^<rapport\.[0-9a-f]{32}\.2@example\.com>$/);
    expect(emailOf(message, addressing, identity).messageId).toBe(mail.messageId);
    expect(emailOf(message, addressing, { ...identity, step: 0 }).messageId).not.toBe(
      mail.messageId,
    );
    // One follow-up's messages are one thread, another's another.
    expect(mail.references).toBe(mail.messageId?.replace('.2@', '@'));
    const other = emailOf(message, addressing, { ...identity, followUpId: 'followup:c-43:x:1' });
    expect(other.references).not.toBe(mail.references);
    expect(mail).toMatchObject({
      from: { name: 'Rapport', address: 'rapport@example.com' },
      to: ['ana@example.com', 'bo@example.com'],
      subject:
        'Escalation for customer c-42: trust fell: a request went unanswered past its deadline',
      headers: {
        'Auto-Submitted': 'auto-generated',
        'X-Rapport-Follow-Up': escalation.followUpId,
        'X-Rapport-Step': '2',
      },
    });
  });

  it('says in plain text what Slack says: what, the ask, the figures, the link', () => {
    expect(emailText(message)).toBe(
      [
        'Escalation: customer c-42',
        '',
        'Trust fell: a request went unanswered past its deadline at 2025-12-05 09:00 UTC.',
        '',
        'No answer to the repair attempt; the account owner should call.',
        '',
        'Customer: c-42',
        'Stage · status: Active · at risk',
        'Engagement: 18.2 of 100',
        'Trust: 44%',
        'They gave · you gave: 3.1 · 12.4 now, 10.0 · 40.0 in all',
        'Last heard from them: 2025-11-20 14:03 UTC, 14 days before',
        'Their rhythm: an exchange every 30 days',
        '',
        'Open on the Rapport dashboard: https://rapport.example.com/dashboard/#/customers/c-42',
        '',
        'Playbook trust-breach, step 3; follow-up followup:c-42:trust_breach:1764925200000',
      ].join('\n'),
    );
  });

  it('says the same in HTML, every text escaped', () => {
    const html = emailHtml(message);
    for (const [label, value] of message.facts) {
      expect(html).toContain(`<tr><th align="left">${label}</th><td>${value}</td></tr>`);
    }
    expect(html).toContain(
      '<a href="https://rapport.example.com/dashboard/#/customers/c-42">Open on the Rapport dashboard</a>',
    );
    const hostile = emailHtml(
      followUpMessage(
        { ...escalation, customerId: '<script>alert("x")</script>' },
        'https://rapport.example.com',
      ),
    );
    expect(hostile).not.toContain('<script>');
    expect(hostile).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });
});

describe('sendEmail', () => {
  it('names the server without its credentials when it cannot be reached, retriable', async () => {
    const error = await sendEmail({
      name: 'cs-leads',
      smtp: {
        host: '127.0.0.1',
        port: 9,
        implicitTls: false,
        requireStartTls: false,
        auth: { user: 'rapport', pass: 'pa55-w0rd' },
        shown: 'smtp://127.0.0.1:9',
      },
      mail: emailOf(message, addressing, identity),
      timeoutMs: 2_000,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EmailError);
    expect(error).toMatchObject({
      code: 'EMAIL_FAILED',
      retriable: true,
      message: 'email:cs-leads smtp://127.0.0.1:9 failed: ESOCKET (ECONNREFUSED)',
    });
  });
});
