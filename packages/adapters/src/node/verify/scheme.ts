import type { z } from 'zod';

/**
 * A webhook request as its provider sent it: what every verification scheme checks, over the
 * exact bytes received (never a re-serialised body).
 */
export interface WebhookRequest {
  readonly method: 'GET' | 'POST';
  /**
   * The URL the provider called, as configured at the provider (Twilio signs it): the channel's
   * configured public URL when it has one, else what the request says.
   */
  readonly url: string;
  /** Header names lowercased, the first value of each. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: Buffer;
  /** The query string's parameters (handshakes: Meta's `hub.challenge`). */
  readonly query: Readonly<Record<string, string | undefined>>;
  /** When the gateway received it, epoch milliseconds: schemes never read a clock. */
  readonly now: number;
}

export type Refusal = 'MISSING_SIGNATURE' | 'BAD_SIGNATURE' | 'STALE_SIGNATURE';

export type Verdict =
  | {
      readonly ok: true;
      /**
       * What identifies this signed request, for refusing a replay of it while its signature is
       * still fresh (Stripe's `t` and `v1`, Mailgun's token), and for how long; absent when the
       * scheme has no timestamp (the provider's event id still deduplicates).
       */
      readonly replay?: { readonly key: string; readonly ttlMs: number };
    }
  | { readonly ok: false; readonly code: Refusal; readonly message: string };

/** What the gateway answers to a provider's endpoint check, verbatim. */
export interface HandshakeAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/**
 * How one provider authenticates its webhooks. `Options` are a channel's own (its secrets, two
 * during a rotation; a public key; a tolerance; its public URL), parsed from configuration by
 * `options`. Messages never contain a secret or the signature presented.
 */
export interface VerificationScheme<Options = unknown> {
  readonly name: string;
  readonly options: z.ZodType<Options>;
  /**
   * The provider signs the URL it called (Twilio): the channel must configure that public URL,
   * since behind a proxy the gateway cannot know it, and a request's own Host is the sender's.
   */
  readonly signsUrl?: true;
  verify(request: WebhookRequest, options: Options): Verdict;
  /**
   * The provider's endpoint check, when this request is one (Slack's `url_verification`, Meta's
   * `hub.challenge`): answered instead of adapting the body. Undefined for any other request.
   * Called only after `verify` accepted the request, except for checks the provider does not
   * sign (Meta's GET), which the scheme authenticates itself.
   */
  handshake?(
    request: WebhookRequest,
    options: Options,
    verified: boolean,
  ): HandshakeAnswer | undefined;
}
