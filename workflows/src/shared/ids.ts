/**
 * Identifiers the engine derives. Workflow ids are readable (they show in the Web UI and in
 * `rapport workflow`); derived event ids are hashed so that they stay within the 256-character
 * bound of an eventId whatever the customer id is, and are the same on every retry and replay.
 */

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

/**
 * cyrb53: a 53-bit string hash with good dispersion, in plain arithmetic (no Node crypto in the
 * workflow sandbox). Two seeds give 106 bits, so ids of distinct events do not collide in practice.
 */
function hash53(text: string, seed: number): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const value = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return value.toString(16).padStart(14, '0');
}
