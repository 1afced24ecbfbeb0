import { describe, expect, it } from 'vitest';
import { escalation, facts } from './destinations/testing.js';
import { followUpMessage } from './message.js';

const DASHBOARD = 'https://rapport.example.com';

describe('followUpMessage', () => {
  it('says who, what happened, why in numbers, and links to the customer', () => {
    expect(followUpMessage(escalation, DASHBOARD)).toEqual({
      summary:
        'Escalation for customer c-42: trust fell: a request went unanswered past its deadline',
      title: 'Escalation: customer c-42',
      what: 'Trust fell: a request went unanswered past its deadline at 2025-12-05 09:00 UTC.',
      ask: 'No answer to the repair attempt; the account owner should call.',
      facts: [
        ['Customer', 'c-42'],
        ['Stage · status', 'Active · at risk'],
        ['Engagement', '18.2 of 100'],
        ['Trust', '44%'],
        ['They gave · you gave', '3.1 · 12.4 now, 10.0 · 40.0 in all'],
        ['Last heard from them', '2025-11-20 14:03 UTC, 14 days before'],
        ['Their rhythm', 'an exchange every 30 days'],
      ],
      link: 'https://rapport.example.com/dashboard/#/customers/c-42',
      origin: 'Playbook trust-breach, step 3; follow-up followup:c-42:trust_breach:1764925200000',
    });
  });

  it('words each trigger as the dashboard does, and a breach by what broke trust', () => {
    const what = (trigger: string, cause?: string) =>
      followUpMessage(
        {
          ...escalation,
          trigger,
          facts: { ...facts, ...(cause === undefined ? {} : { cause }) },
        },
        DASHBOARD,
      ).what;
    expect(what('threshold')).toBe('Engagement crossed into risk at 2025-12-05 09:00 UTC.');
    expect(what('relative_drop')).toBe('Engagement fell sharply at 2025-12-05 09:00 UTC.');
    expect(what('silence')).toBe('They went silent at 2025-12-05 09:00 UTC.');
    expect(what('overdue')).toBe('Overdue against their rhythm at 2025-12-05 09:00 UTC.');
    expect(what('manual')).toBe('A person asked for a follow-up at 2025-12-05 09:00 UTC.');
    expect(what('trust_breach', 'support.complaint')).toBe(
      'Trust fell: support complaint at 2025-12-05 09:00 UTC.',
    );
    expect(what('some_new_trigger')).toBe('Some new trigger at 2025-12-05 09:00 UTC.');
  });

  it('says who it is, and no figures, for a follow-up started before it carried them', () => {
    const { facts: _, ...older } = escalation;
    const message = followUpMessage({ ...older, type: 'followup.notify' }, DASHBOARD);
    expect(message.facts).toEqual([
      ['Customer', 'c-42'],
      ['Stage', 'Active'],
    ]);
    expect(message.what).toBe(
      'Trust fell: a promise broken or a request unanswered at 2025-12-05 09:00 UTC.',
    );
    expect(message.title).toBe('Follow-up: customer c-42');
  });

  it('reads a customer never heard from, without a rhythm, and heard from hours before', () => {
    const figures = (lastHeardAt: number | null) =>
      Object.fromEntries(
        followUpMessage(
          { ...escalation, facts: { ...facts, lastHeardAt, rhythmDays: null } },
          DASHBOARD,
        ).facts,
      );
    expect(figures(null)).toMatchObject({ 'Last heard from them': 'never' });
    expect(figures(null)).not.toHaveProperty('Their rhythm');
    expect(figures(Date.parse('2025-12-05T06:30:00Z'))['Last heard from them']).toBe(
      '2025-12-05 06:30 UTC, 2 hours before',
    );
  });

  it('links to any customer id, encoded', () => {
    const message = followUpMessage({ ...escalation, customerId: 'acme/ü 1' }, DASHBOARD);
    expect(message.link).toBe(
      'https://rapport.example.com/dashboard/#/customers/acme%2F%C3%BC%201',
    );
  });
});
