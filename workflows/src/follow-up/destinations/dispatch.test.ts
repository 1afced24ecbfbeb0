import { loadConfig } from '@rapport/config';
import { describe, expect, it } from 'vitest';
import { DestinationSchema, route, type Destination, type DestinationDeps } from './dispatch.js';
import { escalation, receiver } from './testing.js';

function deps(env: Record<string, string> = {}): DestinationDeps {
  const { worker } = loadConfig(env);
  return { webhook: worker.webhook, destinations: worker.destinations };
}

const missing = (destination: Destination, given: DestinationDeps) => {
  const target = route(destination, given);
  return 'missing' in target ? target.missing : undefined;
};

describe('DestinationSchema', () => {
  it('reads a step destination: the webhook, or a Slack or email destination by name', () => {
    expect(DestinationSchema.parse('webhook')).toEqual({ kind: 'webhook' });
    expect(DestinationSchema.parse('slack:cs-team')).toEqual({ kind: 'slack', name: 'cs-team' });
    expect(DestinationSchema.parse('email:cs_leads')).toEqual({ kind: 'email', name: 'cs_leads' });
    for (const refused of ['sms:cs-team', 'slack:', 'slack:CS', 'Slack:cs', 'webhook:crm', '']) {
      expect(DestinationSchema.safeParse(refused).success, refused).toBe(false);
    }
  });
});

describe('route', () => {
  it('says which setting a destination misses, by its name and never its value', () => {
    const none = deps();
    expect(missing({ kind: 'webhook' }, none)).toBe('RAPPORT_FOLLOWUP_WEBHOOK_URL is not set');
    expect(missing({ kind: 'webhook', url: 'https://hooks.example.com/t' }, none)).toBe(
      'RAPPORT_FOLLOWUP_WEBHOOK_SECRET is not set',
    );
    expect(missing({ kind: 'slack', name: 'cs-team' }, none)).toBe(
      'slack:cs-team is not in RAPPORT_SLACK_WEBHOOKS',
    );
    expect(missing({ kind: 'email', name: 'cs-leads' }, none)).toBe(
      'email:cs-leads is not in RAPPORT_EMAIL_RECIPIENTS',
    );

    const configured = deps({
      RAPPORT_SLACK_WEBHOOKS: 'cs-team=https://hooks.slack.com/services/T/B/secret',
      RAPPORT_SMTP_URL: 'smtps://rapport:pa55@mail.example.com',
      RAPPORT_EMAIL_FROM: 'rapport@example.com',
      RAPPORT_EMAIL_RECIPIENTS: 'cs-leads=ana@example.com',
    });
    expect(missing({ kind: 'slack', name: 'cs-team' }, configured)).toBeUndefined();
    expect(missing({ kind: 'email', name: 'cs-leads' }, configured)).toBeUndefined();
    expect(missing({ kind: 'slack', name: 'ops' }, configured)).toBe(
      'slack:ops is not in RAPPORT_SLACK_WEBHOOKS',
    );
    expect(missing({ kind: 'email', name: 'ops' }, configured)).toBe(
      'email:ops is not in RAPPORT_EMAIL_RECIPIENTS',
    );
  });

  it('sends to the configured Slack webhook the message written out, linking to the configured dashboard', async () => {
    const slack = await receiver((_, response) => response.writeHead(200).end('ok'));
    const target = route(
      { kind: 'slack', name: 'cs-team' },
      deps({
        RAPPORT_SLACK_WEBHOOKS: `cs-team=${slack.url}/services/T/B/secret`,
        RAPPORT_DASHBOARD_URL: 'https://rapport.example.com/',
      }),
    );
    if ('missing' in target) throw new Error(target.missing);
    await target.send({ notification: escalation, idempotencyKey: 'k', timeoutMs: 2_000 });
    expect(slack.received.map((request) => request.path)).toEqual(['/services/T/B/secret']);
    expect(slack.received[0]?.body).toContain(
      '<https://rapport.example.com/dashboard/#/customers/c-42|',
    );
  });
});
