import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { VerificationScheme } from './scheme.js';
import { refuse } from './refusal.js';

/**
 * Postmark signs nothing: a webhook is secured with HTTP Basic credentials that Postmark sends
 * with every request (postmarkapp.com/developer/webhooks/webhooks-overview, "Protecting your
 * webhook URL": `https://<username>:<password>@example.com/webhook`, or the webhook's `HttpAuth`
 * in the Webhooks API). The channel names the pair it expects, or two pairs while one is
 * replaced; the presented pair must equal one of them, compared in constant time (as digests, so
 * that neither the length nor the content of a configured value shows in the time taken).
 *
 * With no timestamp there is no replay window: a replayed request carries events whose ids the
 * gateway has already seen, and nothing else to refuse it by. Serve the channel over HTTPS only,
 * since the credentials travel with every request.
 */

/**
 * HTTP Basic ends the username at the first colon (RFC 7617), so a username with one can never
 * match what is presented.
 */
const UsernameSchema = z
  .string()
  .min(1, 'expected a username')
  .refine((username) => !username.includes(':'), {
    message: 'expected a username without ":" (HTTP Basic ends the username at the first colon)',
  });

/**
 * At least 16 characters, as RAPPORT_FOLLOWUP_WEBHOOK_SECRET: failed attempts are not
 * rate-limited before verification (the gateway's rate limit counts the events of verified
 * requests), so the password is the only defence against guessing it.
 */
const PasswordSchema = z.string().min(16, 'expected a password of at least 16 characters');

const CredentialSchema = z.strictObject({
  username: UsernameSchema,
  password: PasswordSchema,
});
type Credential = z.infer<typeof CredentialSchema>;

export const PostmarkOptionsSchema = z
  .strictObject({
    username: UsernameSchema.optional(),
    password: PasswordSchema.optional(),
    /** Two pairs while the credentials are being replaced. */
    credentials: z
      .array(CredentialSchema)
      .min(1, 'expected a username and password')
      .max(2, 'at most two pairs: the current one and the next, during a rotation')
      .optional(),
  })
  .transform(({ username, password, credentials }, context) => {
    const single = username !== undefined || password !== undefined;
    if (single && credentials !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['credentials'],
        message: 'name either username and password, or credentials, not both',
      });
      return z.NEVER;
    }
    if (credentials !== undefined) return { credentials };
    if (username === undefined || password === undefined) {
      context.addIssue({
        code: 'custom',
        path: [username === undefined ? 'username' : 'password'],
        message: 'expected username and password (or credentials: [{ username, password }])',
      });
      return z.NEVER;
    }
    return { credentials: [{ username, password }] };
  });
export type PostmarkOptions = z.infer<typeof PostmarkOptionsSchema>;

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** RFC 7617: `Basic base64(user-id ":" password)`; the user-id cannot contain a colon. */
function presentedPair(authorization: string): Credential | undefined {
  const basic = /^basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(authorization);
  if (!basic?.[1]) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export const postmarkScheme: VerificationScheme<PostmarkOptions> = {
  name: 'postmark',
  options: PostmarkOptionsSchema,
  verify(request, { credentials }) {
    const authorization = request.headers.authorization;
    if (!authorization) {
      return refuse(
        'MISSING_SIGNATURE',
        'no HTTP Basic credentials: give Postmark the URL with the channel’s username and password',
      );
    }
    const presented = presentedPair(authorization);
    if (presented === undefined) {
      return refuse('BAD_SIGNATURE', 'Authorization is not HTTP Basic credentials');
    }
    const [user, password] = [digest(presented.username), digest(presented.password)];
    // Every pair is compared, and both halves of each, so the time taken tells nothing.
    let matched = false;
    for (const expected of credentials) {
      const sameUser = timingSafeEqual(user, digest(expected.username));
      const samePassword = timingSafeEqual(password, digest(expected.password));
      matched = (sameUser && samePassword) || matched;
    }
    return matched
      ? { ok: true }
      : refuse('BAD_SIGNATURE', 'the HTTP Basic credentials are not this channel’s');
  },
};
