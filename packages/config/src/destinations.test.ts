import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const SLACK_TOKEN = 'XoXoT0k3nXoXo';

function issues(env: Record<string, string>) {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
  }
  throw new Error('expected a ConfigError');
}

describe('follow-up destinations', () => {
  it('are none by default; messages link to the local API', () => {
    expect(loadConfig({}).worker.destinations).toEqual({
      slack: new Map(),
      email: undefined,
      dashboardUrl: 'http://127.0.0.1:8081',
    });
    const moved = loadConfig({ RAPPORT_HOST: 'rapport.internal', RAPPORT_API_PORT: '9081' });
    expect(moved.worker.destinations.dashboardUrl).toBe('http://rapport.internal:9081');
    const given = loadConfig({ RAPPORT_DASHBOARD_URL: 'https://rapport.example.com/ops/' });
    expect(given.worker.destinations.dashboardUrl).toBe('https://rapport.example.com/ops');
  });

  it('read Slack webhooks and email lists by name', () => {
    const { destinations } = loadConfig({
      RAPPORT_SLACK_WEBHOOKS: `cs-team=https://hooks.slack.com/services/T/B/${SLACK_TOKEN}, local=http://127.0.0.1:9/hook`,
      RAPPORT_SMTP_URL: 'smtp://rapport%40example.com:p%40ss%3Aword@mail.example.com',
      RAPPORT_EMAIL_FROM: 'rapport@example.com',
      RAPPORT_EMAIL_RECIPIENTS: 'cs-leads=ana@example.com  bo@example.com,ops=ops@example.com',
    }).worker;
    expect(destinations.slack).toEqual(
      new Map([
        ['cs-team', `https://hooks.slack.com/services/T/B/${SLACK_TOKEN}`],
        ['local', 'http://127.0.0.1:9/hook'],
      ]),
    );
    expect(destinations.email).toEqual({
      smtp: {
        host: 'mail.example.com',
        port: 587,
        implicitTls: false,
        requireStartTls: true,
        auth: { user: 'rapport@example.com', pass: 'p@ss:word' },
        shown: 'smtp://mail.example.com',
      },
      from: 'rapport@example.com',
      recipients: new Map([
        ['cs-leads', ['ana@example.com', 'bo@example.com']],
        ['ops', ['ops@example.com']],
      ]),
    });
  });

  it('speak TLS from the first byte with smtps, and STARTTLS with smtp, required but to this machine', () => {
    const smtp = (url: string) =>
      loadConfig({
        RAPPORT_SMTP_URL: url,
        RAPPORT_EMAIL_FROM: 'rapport@example.com',
        RAPPORT_EMAIL_RECIPIENTS: 'cs=ana@example.com',
      }).worker.destinations.email?.smtp;
    expect(smtp('smtps://mail.example.com')).toMatchObject({
      port: 465,
      implicitTls: true,
      requireStartTls: false,
      auth: undefined,
    });
    expect(smtp('smtp://mail.example.com:2525')).toMatchObject({
      port: 2525,
      requireStartTls: true,
    });
    expect(smtp('smtp://127.0.0.1:2525')).toMatchObject({ requireStartTls: false });
    expect(smtp('smtp://[::1]:2525')).toMatchObject({ host: '::1', requireStartTls: false });
  });

  it('refuse a malformed value by its variable, never quoting a URL', () => {
    const { issues: found, message } = issues({
      RAPPORT_SLACK_WEBHOOKS: `cs-team=http://hooks.slack.com/services/${SLACK_TOKEN},CS=https://x.example.com`,
      RAPPORT_SMTP_URL: `https://rapport:${SLACK_TOKEN}@mail.example.com`,
    });
    expect(found.map((issue) => issue.variable)).toEqual([
      'RAPPORT_SLACK_WEBHOOKS',
      'RAPPORT_SLACK_WEBHOOKS',
      'RAPPORT_SMTP_URL',
    ]);
    expect(message).toContain('expected https (plain http only to a loopback host');
    expect(message).toContain('expected a lowercase name such as cs-team');
    expect(message).not.toContain(SLACK_TOKEN);
    expect(
      issues({ RAPPORT_SLACK_WEBHOOKS: 'a=https://x.example.com,a=https://y.example.com' }).message,
    ).toContain('RAPPORT_SLACK_WEBHOOKS: each name may be given once');
  });

  it('need a server and a sender for an email list', () => {
    const { issues: found } = issues({ RAPPORT_EMAIL_RECIPIENTS: 'cs=ana@example.com' });
    expect(found).toEqual([
      { variable: 'RAPPORT_SMTP_URL', message: 'required when RAPPORT_EMAIL_RECIPIENTS is set' },
      { variable: 'RAPPORT_EMAIL_FROM', message: 'required when RAPPORT_EMAIL_RECIPIENTS is set' },
    ]);
    expect(issues({ RAPPORT_EMAIL_RECIPIENTS: 'cs=ana@example.com,bo' }).message).toContain(
      'RAPPORT_EMAIL_RECIPIENTS: expected name=a@example.com b@example.com',
    );
  });
});
