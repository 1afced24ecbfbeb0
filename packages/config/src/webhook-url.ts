import { z } from 'zod';

/**
 * Hosts that are this machine, as WHATWG URL spells them once parsed: it has already turned
 * `127.1` or `2130706433` into `127.0.0.1` and lower-cased names, so no other spelling slips by.
 * Also the SMTP rule's exception (destinations.ts).
 */
export function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/**
 * Where a follow-up webhook may post. Each post carries customer data and a signature, so it
 * goes over https; plain http only to this machine (a local relay, a test receiver), where
 * nothing travels over a network. A user or password in the URL is refused because fetch refuses
 * it at send time, quoting the whole URL in its error. The one rule for
 * `RAPPORT_FOLLOWUP_WEBHOOK_URL`, the playbook file's per-step URLs and the send itself.
 */
export const WebhookUrlSchema = z
  // abort: the refinements below parse the URL, so they run only on one that parses.
  .url({ protocol: /^https?$/, abort: true, error: 'expected an https URL' })
  .refine((text) => {
    const url = new URL(text);
    return url.protocol === 'https:' || isLoopback(url.hostname);
  }, 'expected https (plain http only to a loopback host: 127.0.0.0/8, ::1 or localhost)')
  .refine((text) => {
    const url = new URL(text);
    return url.username === '' && url.password === '';
  }, 'expected no user or password in the URL (put a token in its path or query)');

/**
 * A webhook URL as errors and logs may show it: the origin only. The path and query often carry
 * the receiver's token (Slack, Zapier, Discord hooks), and an error ends up in logs and in
 * Temporal's history.
 */
export function redactUrl(text: string): string {
  return URL.canParse(text) ? `${new URL(text).origin}/…` : '(not a URL)';
}
