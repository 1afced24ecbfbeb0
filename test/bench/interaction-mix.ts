import { isReservedType, type StampedInteraction } from '@rapport/schema';

/**
 * What a realistic population's log holds, type by type: each [type, channel, direction] equally
 * likely. `sla.*` are the engine's own verdicts (source `engine`): a benchmark that writes the log
 * directly includes them; the gateway refuses them from clients (`CLIENT_MIX`).
 */
export const INTERACTION_MIX = [
  ['email.sent', 'email', 'outbound'],
  ['email.opened', 'email', 'inbound'],
  ['email.replied', 'email', 'inbound'],
  ['email.replied', 'email', 'outbound'],
  ['support.ticket_opened', 'support', 'inbound'],
  ['support.ticket_replied', 'support', 'outbound'],
  ['support.ticket_resolved', 'support', 'outbound'],
  ['chat.message', 'chat', 'inbound'],
  ['chat.message', 'chat', 'outbound'],
  ['page.viewed', 'web', 'inbound'],
  ['app.opened', 'app', 'inbound'],
  ['purchase.completed', 'store', 'inbound'],
  ['sla.met', 'support', 'outbound'],
] as const;

/** The mix a client sends through the gateway: everything but the types Rapport writes itself. */
export const CLIENT_MIX = INTERACTION_MIX.filter(([type]) => !isReservedType(type));

/**
 * An email of the signal benches (`bench:bridge`, `bench:worker`): sent by the business, or a
 * customer's reply, that happened a second ago.
 */
export function emailExchange(
  eventId: string,
  customerId: string,
  inbound: boolean,
): StampedInteraction {
  const at = new Date(Date.now() - 1_000).toISOString();
  return {
    eventId,
    customerId,
    channel: 'email',
    type: inbound ? 'email.replied' : 'email.sent',
    direction: inbound ? 'inbound' : 'outbound',
    occurredAt: at,
    receivedAt: at,
    source: 'http',
  };
}
