import type {
  Decision,
  DropRecord,
  FollowUpFinished,
  FollowUpRecord,
} from '../../shared/definitions.js';
import { followUpWorkflowId } from '../../shared/ids.js';
import { choosePlaybook, type EngagementSettings, type Playbook } from '../../shared/settings.js';
import { pushBounded } from './bounded.js';
import type { Detection } from './drop-detector.js';

/** Drops and follow-ups remembered; the read model keeps the counts of all of them. */
const MAX_RECORDS = 50;

export type Admission =
  | { readonly decision: 'started'; readonly followUp: FollowUpRecord; readonly playbook: Playbook }
  | { readonly decision: Exclude<Decision, 'started'> };

export interface FollowUpPolicySnapshot {
  readonly drops: readonly DropRecord[];
  readonly followUps: readonly FollowUpRecord[];
}

/**
 * What is done about a drop: at most one follow-up runs per customer, none starts within the
 * cooldown after the previous one finished, only a trigger and stage a playbook covers start
 * one, and a drop that was over long before it was seen (history imported after the fact) is
 * recorded as skipped rather than acted on.
 */
export class FollowUpPolicy {
  readonly #settings: EngagementSettings;
  readonly #customerId: string;
  readonly #drops: DropRecord[];
  readonly #followUps: FollowUpRecord[];

  constructor(settings: EngagementSettings, customerId: string, snapshot?: FollowUpPolicySnapshot) {
    this.#settings = settings;
    this.#customerId = customerId;
    this.#drops = [...(snapshot?.drops ?? [])];
    this.#followUps = (snapshot?.followUps ?? []).map((record) => ({ ...record }));
  }

  /**
   * Records the drop and decides; a `started` follow-up is the caller's to start. A `manual`
   * detection (a person asked) runs the named playbook, or the first that names `manual` for the
   * stage, whatever the cooldown: only a running follow-up refuses it.
   */
  admit(detection: Detection, now: number, playbookName?: string): Admission {
    const admission = this.#decide(detection, now, playbookName);
    if (admission.decision === 'started') {
      pushBounded(this.#followUps, admission.followUp, MAX_RECORDS);
    }
    pushBounded(
      this.#drops,
      {
        ...detection,
        detectedAt: now,
        decision: admission.decision,
        followUpId: admission.decision === 'started' ? admission.followUp.id : null,
      },
      MAX_RECORDS,
    );
    return admission;
  }

  /** The follow-up ended (its own signal, or its result): idempotent. */
  finished(note: FollowUpFinished): void {
    const record = this.#followUps.find((followUp) => followUp.id === note.followUpId);
    if (record === undefined || record.finishedAt !== null) return;
    record.finishedAt = note.at;
    record.outcome = note.outcome;
  }

  /** The running follow-up, told once that the customer gave value again at `at`, after its drop. */
  reengaged(at: number): FollowUpRecord | undefined {
    const active = this.active();
    if (active === undefined || active.reengagedAt !== null || at <= active.dropAt)
      return undefined;
    active.reengagedAt = at;
    return active;
  }

  /** The running follow-up, asked once to stop: the customer churned. */
  cancelled(): FollowUpRecord | undefined {
    const active = this.active();
    if (active === undefined || active.cancelRequested) return undefined;
    active.cancelRequested = true;
    return active;
  }

  active(): FollowUpRecord | undefined {
    const last = this.#followUps.at(-1);
    return last?.finishedAt === null ? last : undefined;
  }

  snapshot(): { drops: DropRecord[]; followUps: FollowUpRecord[] } {
    return {
      drops: [...this.#drops],
      followUps: this.#followUps.map((record) => ({ ...record })),
    };
  }

  #decide(detection: Detection, now: number, playbookName?: string): Admission {
    const manual = detection.trigger === 'manual';
    if (detection.at < now - this.#settings.staleAfterMs) return { decision: 'skipped_backfill' };
    const last = this.#followUps.at(-1);
    if (last !== undefined) {
      if (last.finishedAt === null) return { decision: 'running' };
      if (!manual && now - last.finishedAt < this.#settings.followUpCooldownMs) {
        return { decision: 'cooldown' };
      }
    }
    const { playbooks } = this.#settings;
    const playbook =
      manual && playbookName !== undefined
        ? playbooks.find(({ name }) => name === playbookName)
        : choosePlaybook(playbooks, detection.trigger, detection.stage);
    if (playbook === undefined) return { decision: 'no_playbook' };
    return {
      decision: 'started',
      playbook,
      followUp: {
        id: followUpWorkflowId(this.#customerId, detection.trigger, detection.at),
        trigger: detection.trigger,
        stage: detection.stage,
        playbook: playbook.name,
        dropAt: detection.at,
        startedAt: now,
        reengagedAt: null,
        cancelRequested: false,
        finishedAt: null,
        outcome: null,
      },
    };
  }
}
