/**
 * One provider's webhooks as the gateway test (test/gateway/providers.test.ts) drives them: a
 * request signed the way the provider signs it (by the provider's official library where one
 * exists), the events it must land as, and what to tamper with. Each provider's cases live in
 * `<provider>.cases.ts` beside this file; `index.ts` lists them.
 */
export interface ProviderRequest {
  readonly method?: 'GET' | 'POST';
  /** Appended to the channel's path: a query string (`?hub.mode=…`), or nothing. */
  readonly query?: string;
  readonly contentType?: string;
  readonly body: string | Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

export interface ProviderCase<Signer = string> {
  /** The provider's name in the registry (`stripe`, `sendgrid`, …). */
  readonly provider: string;
  /** The channel's name, its path segment: `POST /v1/channels/<channel>`. */
  readonly channel: string;
  /** The channel's entry in the channels file (provider, secrets or public keys, options). */
  channelConfig(): Record<string, unknown>;
  /**
   * Whatever signs: a secret, or a private key for a public-key scheme. `current` and `next` are
   * both configured (a rotation); `wrong` is not.
   */
  readonly signers: { readonly current: Signer; readonly next: Signer; readonly wrong: Signer };
  /** A good request made at `now` to `url` (the URL the provider was given), signed by `signer`. */
  request(input: {
    now: number;
    url: string;
    signer: Signer;
  }): ProviderRequest | Promise<ProviderRequest>;
  /** The canonical events the good request lands as, in order (each a partial match). */
  readonly expected: readonly Record<string, unknown>[];
  /**
   * The same request without its signature. Usually: drop the signature headers; a provider that
   * signs inside the body (Mailgun) says how.
   */
  unsigned(request: ProviderRequest): ProviderRequest;
  /**
   * False when the provider's scheme does not cover the body (Postmark's basic auth, Mailgun's
   * timestamp and token): a body changed in transit cannot be told, so the suite does not try.
   */
  readonly signsBody?: boolean;
  /** A timestamp tolerance: a request signed longer ago than this is refused as stale. */
  readonly toleranceMs?: number;
  /** The provider's endpoint check, when it has one, and what it must be answered. */
  readonly handshake?: {
    request(input: {
      now: number;
      url: string;
      signer: Signer;
    }): ProviderRequest | Promise<ProviderRequest>;
    readonly status: number;
    /** The exact body the provider expects back. */
    readonly body: string;
  };
}
