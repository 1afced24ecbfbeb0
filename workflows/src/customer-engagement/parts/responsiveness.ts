import { instantMs, type StampedInteraction } from '@rapport/schema';
import type { OpenRequest } from '../../shared/definitions.js';
import type { EngagementSettings } from '../../shared/settings.js';
import { pushBounded } from './bounded.js';

/** Threads a customer can be waiting on at once; beyond it the oldest is forgotten. */
const MAX_OPEN_REQUESTS = 256;

/** A request answered in time (met, at the reply) or not (missed, at its deadline). */
export interface Verdict {
  readonly request: OpenRequest;
  readonly met: boolean;
  /** The reply's time if met, the deadline if missed. */
  readonly at: number;
  readonly replyEventId?: string;
}

/**
 * Whether the customer was heard in time, decided in event time: the engine shows it a thread's
 * messages and deadlines in the order they happened, whatever order they arrived in, so every
 * verdict is a function of the events. An inbound message with `expectsResponse` opens a request,
 * unless the customer is already waiting on that thread; the business's next message on the
 * thread answers it, met if dated by the deadline; a deadline reached unanswered is a miss.
 */
export class Responsiveness {
  readonly #sla: EngagementSettings['sla'];
  readonly #open: OpenRequest[];

  constructor(sla: EngagementSettings['sla'], open: readonly OpenRequest[] = []) {
    this.#sla = sla;
    this.#open = open.map((request) => ({ ...request }));
  }

  /** A message at its time; no deadline before that time may still be open (see expire). */
  observe(event: StampedInteraction): Verdict | undefined {
    if (event.threadId === undefined) return undefined;
    const at = instantMs(event.occurredAt);
    const open = this.#open.find((request) => request.threadId === event.threadId);
    if (event.direction === 'inbound') {
      if (event.expectsResponse !== true || open !== undefined) return undefined;
      const deadline = at + (this.#sla.byChannel[event.channel] ?? this.#sla.defaultMs);
      pushBounded(
        this.#open,
        {
          threadId: event.threadId,
          requestEventId: event.eventId,
          channel: event.channel,
          openedAt: at,
          deadline,
        },
        MAX_OPEN_REQUESTS,
      );
      return undefined;
    }
    if (open === undefined) return undefined;
    this.#close(open);
    return { request: open, met: true, at, replyEventId: event.eventId };
  }

  /** The earliest deadline still open. */
  nextDeadline(): number | null {
    return this.#open.reduce<number | null>(
      (earliest, request) =>
        earliest === null || request.deadline < earliest ? request.deadline : earliest,
      null,
    );
  }

  /** Closes the request of the earliest deadline as missed: its time has come unanswered. */
  expireNext(): Verdict | undefined {
    const deadline = this.nextDeadline();
    const request = this.#open.find((open) => open.deadline === deadline);
    if (request === undefined) return undefined;
    this.#close(request);
    return { request, met: false, at: request.deadline };
  }

  /**
   * The open requests of a customer merged into this one: theirs to decide here from now on
   * (each deadline once: the merged workflow has completed). The same request twice is one.
   */
  absorb(theirs: readonly OpenRequest[]): void {
    for (const request of theirs) {
      if (this.#open.some((open) => open.requestEventId === request.requestEventId)) continue;
      pushBounded(this.#open, { ...request }, MAX_OPEN_REQUESTS);
    }
  }

  get open(): OpenRequest[] {
    return this.#open.map((request) => ({ ...request }));
  }

  #close(request: OpenRequest): void {
    this.#open.splice(this.#open.indexOf(request), 1);
  }
}
