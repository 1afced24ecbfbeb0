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

  /**
   * The running follow-up. At most one runs, and only the latest can (records are in the order
   * they started); after a merge brought in the other id's records, still the one unfinished.
   */
  active(): FollowUpRecord | undefined {
    return this.#followUps.findLast((record) => record.finishedAt === null);
  }

  /**
   * This customer is merged into `into`: its running follow-up, if any, is cancelled now (the
   * survivor judges the merged ledger and starts its own if warranted) and recorded so, which
   * starts no cooldown in the survivor. The follow-up to cancel.
   */
  mergedAway(into: string, now: number): FollowUpRecord | undefined {
    const active = this.active();
    if (active === undefined) return undefined;
    active.cancelRequested = true;
    active.finishedAt = now;
    active.outcome = 'cancelled';
    active.mergedInto = into;
    return active;
  }

  /**
   * The drops and follow-ups of a customer merged into this one, united with ours in the order
   * they happened (the latest kept within the bound); a record already here is kept once.
   */
  absorb(theirs: FollowUpPolicySnapshot): void {
    const known = new Set(this.#followUps.map(({ id }) => id));
    const followUps = [
      ...this.#followUps,
      ...theirs.followUps.filter(({ id }) => !known.has(id)).map((record) => ({ ...record })),
    ].sort((a, b) => a.startedAt - b.startedAt);
    this.#followUps.splice(0, this.#followUps.length, ...followUps.slice(-MAX_RECORDS));
    const drops = [...this.#drops, ...theirs.drops].sort(
      (a, b) => a.detectedAt - b.detectedAt || a.at - b.at,
    );
    this.#drops.splice(0, this.#drops.length, ...drops.slice(-MAX_RECORDS));
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
    if (this.active() !== undefined) return { decision: 'running' };
    // The latest that ended; one cancelled because its customer merged into this one does not
    // count (for the customer's own records alone, the latest record, as before merges).
    const last = this.#followUps.findLast((record) => record.mergedInto === undefined);
    if (
      last !== undefined &&
      last.finishedAt !== null &&
      !manual &&
      now - last.finishedAt < this.#settings.followUpCooldownMs
    ) {
      return { decision: 'cooldown' };
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
