/**
 * Identifiers the engine derives. Workflow ids are readable (they show in the Web UI and in
 * `rapport workflow`); derived event ids are hashed so that they stay within the 256-character
 * bound of an eventId whatever the customer id is, and are the same on every retry and replay.
 */
import { cyrb53 } from '@rapport/model';

/** The one workflow that holds a customer's ledger. */
export function customerWorkflowId(customerId: string): string {
  return `customer:${customerId}`;
}

/** One follow-up per drop: a second start for the same drop is refused by the server. */
export function followUpWorkflowId(customerId: string, trigger: string, at: number): string {
  return `followup:${customerId}:${trigger}:${at}`;
}

/** `engine:<type>:<28 hex digits>`, a pure function of the type, the customer and the key. */
export function derivedEventId(type: string, customerId: string, key: string): string {
  const text = `${type}\u0000${customerId}\u0000${key}`;
  return `engine:${type}:${hash53(text, 0x9e3779b9)}${hash53(text, 0x85ebca6b)}`;
}

/** 53 bits of `cyrb53`, as 14 hex digits. */
function hash53(text: string, seed: number): string {
  return cyrb53(text, seed).toString(16).padStart(14, '0');
}
