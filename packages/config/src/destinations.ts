import { z } from 'zod';
import { commaList, nameAndValue } from './lists.js';
import { isLoopback, WebhookUrlSchema } from './webhook-url.js';

/**
 * Where follow-up steps reach people besides the signed webhook (docs/workflows.md §4): Slack
 * incoming webhooks and email lists, each under a name that a playbook step gives
 * (`destination: slack:cs-team`, `email:cs-leads`), and the dashboard their messages link to.
 * The names are not secrets. The Slack URLs and the SMTP URL are: the first authorizes posting,
 * the second carries a password, so their variables are never quoted back (SECRET_VARIABLES).
 */

/** What follows `slack:` or `email:` in a playbook step's destination. */
export const DestinationNameSchema = z
  .string()
  .regex(/^[a-z0-9]+(?:[-_][a-z0-9]+)*$/, 'expected a lowercase name such as cs-team');

/** `name=value,name=value` into a map, each name once. */
function namedValues<Value>(value: z.ZodType<Value, string>, expected: string) {
  return commaList
    .pipe(
      z.array(
        z
          .string()
          .regex(/^[^=]+=.+$/, `expected name=${expected}`)
          .transform((pair) => nameAndValue(pair).map((part) => part.trim()))
          .pipe(z.tuple([DestinationNameSchema, value])),
      ),
    )
    .refine(
      (pairs) => new Set(pairs.map(([name]) => name)).size === pairs.length,
      'each name may be given once',
    )
    .transform((pairs): ReadonlyMap<string, Value> => new Map(pairs));
}

/** Addresses separated by spaces: the commas separate the lists. */
const addresses = z
  .string()
  .transform((raw) => raw.split(/\s+/).filter((part) => part !== ''))
  .pipe(z.array(z.email('expected email addresses separated by spaces')).min(1));

/**
 * `smtp://[user:password@]host[:port]` speaks STARTTLS (port 587 unless given), `smtps://…` TLS
 * from the first byte (465). Mail carries customer data and the URL a password, so STARTTLS is
 * required, except to this machine (a local relay, a test server), as plain http is for webhooks.
 */
const SmtpUrlSchema = z
  .url({
    protocol: /^smtps?$/,
    abort: true,
    error: 'expected smtp://user:password@host:port (STARTTLS) or smtps://… (TLS)',
  })
  .refine((text) => new URL(text).hostname !== '', { error: 'expected a host', abort: true })
  .transform((text, context) => {
    const url = new URL(text);
    const implicitTls = url.protocol === 'smtps:';
    let auth: { user: string; pass: string } | undefined;
    try {
      auth =
        url.username === ''
          ? undefined
          : { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) };
    } catch {
      context.addIssue({ code: 'custom', message: 'the user or password is not percent-encoded' });
      return z.NEVER;
    }
    return {
      /** As nodemailer takes it: an IPv6 address without its brackets. */
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port === '' ? (implicitTls ? 465 : 587) : Number(url.port),
      implicitTls,
      requireStartTls: !implicitTls && !isLoopback(url.hostname),
      auth,
      /** How errors and logs name the server: without its user and password. */
      shown: `${url.protocol}//${url.host}`,
    };
  });
export type SmtpSettings = z.output<typeof SmtpUrlSchema>;

/** The variables, keyed without the `RAPPORT_` prefix like every other. */
export const destinationEnvSchema = z.object({
  SLACK_WEBHOOKS: namedValues(WebhookUrlSchema, 'https://hooks.slack.com/services/…').prefault(''),
  SMTP_URL: SmtpUrlSchema.optional(),
  EMAIL_FROM: z.email().optional(),
  EMAIL_RECIPIENTS: namedValues(addresses, 'a@example.com b@example.com').prefault(''),
  DASHBOARD_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
});
type DestinationEnv = z.output<typeof destinationEnvSchema>;

/** An email list needs a server to send through and an address to send from. */
export function requireEmailSettings(env: DestinationEnv, context: z.core.$RefinementCtx): void {
  if (env.EMAIL_RECIPIENTS.size === 0) return;
  for (const variable of ['SMTP_URL', 'EMAIL_FROM'] as const) {
    if (env[variable] === undefined) {
      context.addIssue({
        code: 'custom',
        path: [variable],
        message: 'required when RAPPORT_EMAIL_RECIPIENTS is set',
      });
    }
  }
}

/** The destinations as the worker's notify activity takes them. */
export function destinationSettings(env: DestinationEnv & { HOST: string; API_PORT: number }) {
  const { SMTP_URL: smtp, EMAIL_FROM: from, EMAIL_RECIPIENTS: recipients } = env;
  return {
    /** Slack incoming-webhook URLs by name. */
    slack: env.SLACK_WEBHOOKS,
    /** Recipients by list name, and how to send to them; none without a list. */
    email:
      recipients.size === 0 || smtp === undefined || from === undefined
        ? undefined
        : { smtp, from, recipients },
    /** Messages link a customer to `<this>/dashboard/#/customers/<id>`; the API serves it. */
    dashboardUrl: (env.DASHBOARD_URL ?? `http://${env.HOST}:${env.API_PORT}`).replace(/\/+$/, ''),
  };
}
export type DestinationSettings = ReturnType<typeof destinationSettings>;
