import type { Stage } from '@rapport/model';
import { describe, expect, it } from 'vitest';
import { followUpWorkflowId } from '../../shared/ids.js';
import { EngagementSettingsSchema, type Trigger } from '../../shared/settings.js';
import type { Detection } from './drop-detector.js';
import { FollowUpPolicy } from './follow-up-policy.js';

/** What a snapshot is after continue-as-new: its JSON. */
const throughJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2027, 0, 4, 9);

const playbook = (name: string, triggers: Trigger[], stages?: Stage[]) => ({
  name,
  when: { triggers, ...(stages === undefined ? {} : { stages }) },
  steps: [{ kind: 'wait' as const, upToMs: DAY }],
});
const settings = EngagementSettingsSchema.parse({
  sla: { defaultMs: 4 * HOUR },
  relativeDrop: { share: 0.5, windowMs: 30 * DAY },
  onboardingSilenceMs: 7 * DAY,
  trustBreachBelow: 0.5,
  followUpCooldownMs: 14 * DAY,
  staleAfterMs: DAY,
  playbooks: [playbook('trust', ['trust_breach']), playbook('cooling', ['silence'], ['active'])],
});

const breach: Detection = {
  trigger: 'trust_breach',
  at: T0,
  stage: 'active',
  engagement: 40,
  trust: 0.3,
};
const at = (instant: number, detection: Partial<Detection> = {}): Detection => ({
  ...breach,
  at: instant,
  ...detection,
});

describe('FollowUpPolicy', () => {
  it('starts a follow-up for a drop a playbook covers, recording both', () => {
    const policy = new FollowUpPolicy(settings, 'c1');
    const admission = policy.admit(breach, T0 + 60_000);
    const id = followUpWorkflowId('c1', 'trust_breach', T0);
    expect(admission).toEqual({
      decision: 'started',
      playbook: expect.objectContaining({ name: 'trust' }) as unknown,
      followUp: {
        id,
        trigger: 'trust_breach',
        stage: 'active',
        playbook: 'trust',
        dropAt: T0,
        startedAt: T0 + 60_000,
        reengagedAt: null,
        cancelRequested: false,
        finishedAt: null,
        outcome: null,
      },
    });
    expect(policy.active()?.id).toBe(id);
    expect(policy.snapshot().drops).toEqual([
      { ...breach, detectedAt: T0 + 60_000, decision: 'started', followUpId: id },
    ]);
  });

  it('starts what a person asked for: the named playbook, or the first for manual, cooldown or not', () => {
    const withCampaign = EngagementSettingsSchema.parse({
      ...settings,
      playbooks: [...settings.playbooks, playbook('campaign', ['overdue', 'manual'])],
    });
    const policy = new FollowUpPolicy(withCampaign, 'c1');
    const manual = (instant: number) => at(instant, { trigger: 'manual', stage: 'active' });
    expect(policy.admit(manual(T0), T0)).toMatchObject({
      decision: 'started',
      playbook: { name: 'campaign' }, // the first whose triggers include manual
    });
    expect(policy.admit(manual(T0 + HOUR), T0 + HOUR, 'cooling').decision).toBe('running');
    const id = policy.active()?.id ?? '';
    policy.finished({ followUpId: id, outcome: 'no_response', at: T0 + DAY });
    // Inside the cooldown a drop waits; a person's request does not.
    expect(policy.admit(at(T0 + 2 * DAY), T0 + 2 * DAY).decision).toBe('cooldown');
    expect(policy.admit(manual(T0 + 2 * DAY), T0 + 2 * DAY, 'cooling')).toMatchObject({
      decision: 'started',
      playbook: { name: 'cooling' },
    });
    const other = new FollowUpPolicy(settings, 'c2');
    expect(other.admit(manual(T0), T0, 'no-such-playbook').decision).toBe('no_playbook');
    expect(other.admit(manual(T0), T0).decision).toBe('no_playbook'); // none names manual
  });

  it('runs one at a time, and none within the cooldown after the last finished', () => {
    const policy = new FollowUpPolicy(settings, 'c1');
    policy.admit(breach, T0);
    expect(policy.admit(at(T0 + HOUR), T0 + HOUR).decision).toBe('running');
    const id = policy.active()?.id ?? '';
    policy.finished({ followUpId: id, outcome: 'no_response', at: T0 + DAY });
    policy.finished({ followUpId: id, outcome: 're_engaged', at: T0 + 2 * DAY }); // once
    expect(policy.snapshot().followUps[0]).toMatchObject({
      outcome: 'no_response',
      finishedAt: T0 + DAY,
    });
    expect(policy.active()).toBeUndefined();
    expect(policy.admit(at(T0 + 15 * DAY - 1), T0 + 15 * DAY - 1).decision).toBe('cooldown');
    expect(policy.admit(at(T0 + 15 * DAY), T0 + 15 * DAY).decision).toBe('started');
    policy.finished({ followUpId: 'unknown', outcome: 'cancelled', at: T0 }); // ignored
    expect(policy.snapshot().drops.map((drop) => drop.decision)).toEqual([
      'started',
      'running',
      'cooldown',
      'started',
    ]);
  });

  it('chooses no playbook for a trigger and stage none covers', () => {
    const policy = new FollowUpPolicy(settings, 'c1');
    expect(policy.admit(at(T0, { trigger: 'silence', stage: 'prospect' }), T0)).toEqual({
      decision: 'no_playbook',
    });
    expect(policy.admit(at(T0, { trigger: 'silence' }), T0).decision).toBe('started');
  });

  it('skips a drop further in the past than staleAfterMs when it is seen', () => {
    const policy = new FollowUpPolicy(settings, 'c1');
    expect(policy.admit(breach, T0 + DAY + 1)).toEqual({ decision: 'skipped_backfill' });
    expect(policy.snapshot().drops).toEqual([
      { ...breach, detectedAt: T0 + DAY + 1, decision: 'skipped_backfill', followUpId: null },
    ]);
    expect(policy.active()).toBeUndefined();
    expect(policy.admit(breach, T0 + DAY).decision).toBe('started'); // just in time
  });

  it('tells the running follow-up once of re-engagement after its drop, and cancels it once', () => {
    const policy = new FollowUpPolicy(settings, 'c1');
    expect(policy.reengaged(T0)).toBeUndefined();
    expect(policy.cancelled()).toBeUndefined();
    policy.admit(at(T0 + HOUR), T0 + HOUR);
    expect(policy.reengaged(T0)).toBeUndefined(); // before the drop
    expect(policy.reengaged(T0 + HOUR)).toBeUndefined(); // at it: what caused it
    expect(policy.reengaged(T0 + 2 * HOUR)?.reengagedAt).toBe(T0 + 2 * HOUR);
    expect(policy.reengaged(T0 + 3 * HOUR)).toBeUndefined();
    expect(policy.cancelled()?.cancelRequested).toBe(true);
    expect(policy.cancelled()).toBeUndefined();
    expect(policy.active()).toMatchObject({ reengagedAt: T0 + 2 * HOUR, cancelRequested: true });
  });

  it('keeps the latest fifty records, and is carried by its snapshot', () => {
    const policy = new FollowUpPolicy(settings, 'c1');
    for (let index = 0; index < 60; index += 1) policy.admit(at(T0 + index), T0 + index);
    const snapshot = policy.snapshot();
    expect(snapshot.drops).toHaveLength(50);
    expect(snapshot.drops[0]?.at).toBe(T0 + 10);
    const restored = new FollowUpPolicy(settings, 'c1', throughJson(snapshot));
    expect(restored.snapshot()).toEqual(snapshot);
    expect(restored.active()?.dropAt).toBe(T0);
    expect(restored.admit(at(T0 + HOUR), T0 + HOUR).decision).toBe('running');
  });
});
