import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseQuery, stringify as stringifyQuery } from 'node:querystring';
import { z } from 'zod';
import { SecretsSchema } from './options.js';
import type { Verdict, VerificationScheme, WebhookRequest } from './scheme.js';
import { refuse } from './refusal.js';

/**
 * Twilio signs every webhook with `X-Twilio-Signature`: the base64 HMAC, under the account's auth
 * token, of the full URL Twilio called followed, for a form post, by its parameters sorted by name,
 * each name immediately followed by its value. A JSON body is not in the signature: Twilio appends
 * its hex SHA-256 to the URL as the `bodySHA256` query parameter and signs that URL alone.
 *
 * The URL signed is the request's `url`, which the gateway sets to the channel's configured `url`
 * (the one pasted into Twilio's console) when it has one: behind a proxy or load balancer the
 * scheme, host or port the gateway sees differ from what Twilio called, so a Twilio channel
 * should always configure it.
 *
 * HMAC-SHA1, unless `X-Twilio-Webhooks-Signature-Settings` says `algorithm=HMAC_SHA256` (a
 * Webhooks Rule signing with a SharedKey, whose secret is then the one configured). There is no
 * timestamp, so nothing is ever stale: the MessageSid or CallSid of the event deduplicates a
 * retry or a replay.
 */

export const TwilioOptionsSchema = z.strictObject({
  /** The account's auth token (or a Webhooks Rule's SharedKey secret); two during a rotation. */
  secrets: SecretsSchema,
});
export type TwilioOptions = z.infer<typeof TwilioOptionsSchema>;

const SIGNATURE = 'x-twilio-signature';
const SETTINGS = 'x-twilio-webhooks-signature-settings';
const ALGORITHMS: Readonly<Record<string, 'sha1' | 'sha256'>> = {
  HMAC_SHA1: 'sha1',
  HMAC_SHA256: 'sha256',
};

export const twilioScheme: VerificationScheme<TwilioOptions> = {
  name: 'twilio',
  options: TwilioOptionsSchema,
  signsUrl: true,
  verify(request, options): Verdict {
    const presented = request.headers[SIGNATURE];
    if (!presented) return refuse('MISSING_SIGNATURE', 'missing X-Twilio-Signature header');
    const algorithm = algorithmOf(request.headers[SETTINGS]);
    if (algorithm === undefined) {
      return refuse(
        'BAD_SIGNATURE',
        'X-Twilio-Webhooks-Signature-Settings names an algorithm other than HMAC_SHA1 or HMAC_SHA256',
      );
    }
    const signed = signedContent(request);
    if (typeof signed === 'string') return refuse('BAD_SIGNATURE', signed);
    const given = Buffer.from(presented, 'base64');
    const valid = urlForms(signed.url).some((url) =>
      options.secrets.some((secret) => {
        const expected = createHmac(algorithm, secret)
          .update(url + signed.parameters, 'utf8')
          .digest();
        // The digest's length is the algorithm's, not a secret: checking it first leaks nothing.
        return given.length === expected.length && timingSafeEqual(given, expected);
      }),
    );
    return valid
      ? { ok: true }
      : refuse(
          'BAD_SIGNATURE',
          "X-Twilio-Signature does not match the channel's auth token and url (as given to Twilio)",
        );
  },
};

/** No settings header: the auth token's HMAC-SHA1. Otherwise the algorithm it names, if known. */
function algorithmOf(settings: string | undefined): 'sha1' | 'sha256' | undefined {
  if (!settings) return 'sha1';
  const named = settings
    .split(',')
    .map((part) => part.split('='))
    .find(([key]) => key?.trim() === 'algorithm')?.[1]
    ?.trim();
  return named ? ALGORITHMS[named.toUpperCase()] : 'sha1';
}

interface Signed {
  readonly url: string;
  /** The form parameters as Twilio appends them to the URL; empty for a JSON body. */
  readonly parameters: string;
}

/**
 * What Twilio signed besides the secret, or why the body is not covered by it. A JSON body is
 * covered only through the `bodySHA256` it came with: that hash is public (it is in the URL), so
 * comparing it in plain time leaks nothing; the signature over the URL that carries it is what
 * authenticates the body. A body that is neither a form nor hashed is in no signature at all:
 * any body would verify under a signature of the bare URL, so it is refused.
 */
function signedContent(request: WebhookRequest): Signed | string {
  const { url } = request;
  const bodyHash = request.query.bodySHA256;
  if (bodyHash !== undefined) {
    const actual = createHash('sha256').update(request.rawBody).digest('hex');
    if (actual !== bodyHash.toLowerCase()) {
      return 'the body does not match its bodySHA256 query parameter';
    }
    // A configured URL is the one given to Twilio, without the hash Twilio appended to it.
    const hashed = /[?&]bodySHA256=/.test(url)
      ? url
      : `${url}${url.includes('?') ? '&' : '?'}bodySHA256=${bodyHash}`;
    return { url: hashed, parameters: '' };
  }
  const form = (request.headers['content-type'] ?? '')
    .toLowerCase()
    .startsWith('application/x-www-form-urlencoded');
  if (!form) {
    return 'a body that is not a form is signed only through its bodySHA256 query parameter, which is missing';
  }
  return { url, parameters: formParameters(request.rawBody) };
}

/**
 * The decoded parameters of a form body, sorted by name, each name followed by its value. A name
 * given several times contributes each distinct value, sorted, as Twilio's own validator does.
 */
function formParameters(body: Buffer): string {
  const values = new Map<string, Set<string>>();
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
    const seen = values.get(name) ?? new Set<string>();
    values.set(name, seen.add(value));
  }
  return [...values.keys()]
    .sort()
    .map((name) =>
      [...(values.get(name) ?? [])]
        .sort()
        .map((value) => name + value)
        .join(''),
    )
    .join('');
}

/**
 * The spellings of one URL that Twilio's own validator (twilio-node's `validateRequest`) accepts,
 * because Twilio's back ends do not all sign the same one: as given, with and without the
 * scheme's default port, and as `new URL` normalises it, also with its query re-encoded the way
 * Node's legacy `querystring` does.
 */
function urlForms(url: string): string[] {
  const forms = [withoutPort(url), withDefaultPort(url)];
  const normalized = URL.canParse(url) ? new URL(url).toString() : undefined;
  if (normalized !== undefined) {
    const bare = withoutPort(normalized);
    const ported = withDefaultPort(normalized);
    forms.push(bare, ported, legacyQuery(bare), legacyQuery(ported));
  }
  return [...new Set(forms)];
}

interface UrlParts {
  readonly scheme: string;
  readonly userInfo: string;
  readonly host: string;
  readonly port: string;
  readonly rest: string;
}

/** Splits a URL without normalising it, so the path and query keep the characters Twilio signed. */
function split(url: string): UrlParts | undefined {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url);
  if (match === null) return undefined;
  const [prefix, scheme = '', authority = ''] = match;
  const userInfoEnd = authority.lastIndexOf('@');
  const hostAndPort = authority.slice(userInfoEnd + 1);
  // A colon starts the port only after the closing bracket of an IPv6 literal.
  const portStart = hostAndPort.indexOf(':', hostAndPort.lastIndexOf(']') + 1);
  return {
    scheme,
    userInfo: authority.slice(0, userInfoEnd + 1),
    host: portStart === -1 ? hostAndPort : hostAndPort.slice(0, portStart),
    port: portStart === -1 ? '' : hostAndPort.slice(portStart),
    rest: url.slice(prefix.length),
  };
}

function withoutPort(url: string): string {
  const parts = split(url);
  return parts === undefined ? url : parts.scheme + parts.userInfo + parts.host + parts.rest;
}

function withDefaultPort(url: string): string {
  const parts = split(url);
  if (parts === undefined || parts.port !== '') return url;
  const port = parts.scheme.toLowerCase() === 'https://' ? ':443' : ':80';
  return parts.scheme + parts.userInfo + parts.host + port + parts.rest;
}

function legacyQuery(url: string): string {
  const start = url.indexOf('?');
  if (start === -1 || start === url.length - 1) return url;
  return `${url.slice(0, start)}?${stringifyQuery(parseQuery(url.slice(start + 1)))}`;
}
