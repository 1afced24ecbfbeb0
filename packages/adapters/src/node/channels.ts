import { CodedError, parseWith, type Issue, type ParseResult } from '@rapport/schema';
import type { ChannelAdapter } from '../adapter.js';
import { builtInAdapters } from '../builtins.js';
import { fileIssue } from '../yaml-document.js';
import { channelEntry, readChannelsFile, under } from './channels-file.js';
import { loadChannelMappings, type MappedChannel } from './mapping-files.js';
import { PROVIDERS } from './providers.js';
import { hmacSha256Scheme } from './verify/hmac-sha256.js';
import type {
  HandshakeAnswer,
  Verdict,
  VerificationScheme,
  WebhookRequest,
} from './verify/scheme.js';

/** A scheme bound to one channel's options, which stay in the closure: nothing logs them. */
export interface Verifier {
  readonly scheme: string;
  verify(request: WebhookRequest): Verdict;
  handshake(request: WebhookRequest, verified: boolean): HandshakeAnswer | undefined;
}

/** What the gateway serves at `/v1/channels/<name>`. */
export interface Channel {
  /** Its path segment, and its events' source and deduplication scope (`webhook:<name>`). */
  readonly name: string;
  /** Maps its payloads; the events carry the adapter's canonical channel (`billing`). */
  readonly adapter: ChannelAdapter;
  /** The public URL its provider was given, when configured (see `WebhookRequest.url`). */
  readonly url?: string;
  /** How its requests are authenticated; without a verifier, by a write key. */
  readonly verifier?: Verifier;
}

export interface ChannelSettings {
  readonly channelMappingsDir?: string | undefined;
  /** `RAPPORT_CHANNEL_SECRETS`: one secret per channel, for the channel's own scheme. */
  readonly channelSecrets: Readonly<Record<string, string>>;
  readonly channelsFile?: string | undefined;
}

/** Channels that cannot be served as configured: found at start-up, never later. */
export class ChannelsError extends CodedError<'CHANNELS_INVALID'> {
  constructor(readonly problems: readonly string[]) {
    super('CHANNELS_INVALID', `Invalid channels:\n  ${problems.join('\n  ')}`);
  }
}

function bind(scheme: VerificationScheme<unknown>, raw: unknown): ParseResult<Verifier> {
  const parsed = parseWith(scheme.options, raw);
  if (!parsed.ok) return parsed;
  const options = parsed.value;
  return {
    ok: true,
    value: {
      scheme: scheme.name,
      verify: (request) => scheme.verify(request, options),
      handshake: (request, verified) => scheme.handshake?.(request, options, verified),
    },
  };
}

/**
 * A channel's scheme with its options: the generic HMAC-SHA256 takes the header its adapter asks
 * for (a mapping file may name its own), any other scheme the options alone.
 */
function bindTo({ adapter, scheme }: MappedChannel, options: object): ParseResult<Verifier> {
  return scheme === undefined
    ? bind(hmacSha256Scheme, { ...adapter.signature, ...options })
    : bind(scheme, options);
}

const refused = (path: string, message: string): ParseResult<never> => ({
  ok: false,
  issues: [{ path, message }],
});

/** The built-in adapters, then the mapping files' channels, a later one replacing an earlier. */
async function declaredChannels(mappingsDir: string | undefined) {
  const declared = new Map<string, MappedChannel>();
  for (const adapter of builtInAdapters) declared.set(adapter.channel, { adapter });
  for (const mapped of await loadChannelMappings(mappingsDir)) {
    declared.set(mapped.adapter.channel, mapped);
  }
  return declared;
}

/** An entry of the channels file: a provider's channel, or a declared channel's secrets. */
function fileChannel(
  name: string,
  raw: unknown,
  declared: ReadonlyMap<string, MappedChannel>,
  secrets: ChannelSettings['channelSecrets'],
): ParseResult<Channel> {
  const at = `channels.${name}`;
  const entry = channelEntry(name, raw);
  if (!entry.ok) return entry;
  const { provider, url, ...options } = entry.value;
  if (secrets[name] !== undefined) {
    return refused(at, 'also has a secret in RAPPORT_CHANNEL_SECRETS; configure it in one place');
  }
  const declaration = PROVIDERS.find((known) => known.name === provider) ?? declared.get(name);
  if (declaration === undefined) {
    const known = PROVIDERS.map((candidate) => candidate.name).join(', ');
    const message = `no built-in or mapping-file channel is named "${name}": name its provider (${known})`;
    return refused(`${at}.provider`, message);
  }
  if (declaration.scheme?.signsUrl === true && url === undefined) {
    return refused(
      `${at}.url`,
      `its provider signs the URL it calls: give the public URL exactly as given to it`,
    );
  }
  const bound = bindTo(declaration, options);
  if (!bound.ok) return { ok: false, issues: under(at, bound.issues) };
  const { adapter } = declaration;
  return {
    ok: true,
    value: {
      name,
      adapter,
      ...(url !== undefined && { url }),
      verifier: bound.value,
    },
  };
}

/**
 * Every channel a gateway with these settings (its `gateway` configuration) serves: the built-in
 * adapters and the mapping files' channels (signed when `RAPPORT_CHANNEL_SECRETS` has a secret for
 * them, else behind a write key), then the channels file's, which replace a channel of the same
 * name. Every problem is reported at once, naming the file or variable, the channel and the
 * field, never a secret.
 */
export async function loadChannels(settings: ChannelSettings): Promise<Channel[]> {
  const declared = await declaredChannels(settings.channelMappingsDir);
  const channels = new Map<string, Channel>();
  const problems: string[] = [];
  const report = (where: string, issues: readonly Issue[]) =>
    problems.push(...issues.map((issue) => fileIssue(where, issue)));

  for (const [name, declaration] of declared) {
    const secret = settings.channelSecrets[name];
    const bound = secret === undefined ? undefined : bindTo(declaration, { secrets: [secret] });
    if (bound?.ok === false) {
      report('RAPPORT_CHANNEL_SECRETS', under(name, bound.issues));
      continue;
    }
    const { adapter } = declaration;
    channels.set(name, { name, adapter, ...(bound && { verifier: bound.value }) });
  }
  const file = settings.channelsFile;
  if (file !== undefined) {
    const read = await readChannelsFile(file);
    if (!read.ok) report(file, read.issues);
    for (const [name, entry] of Object.entries(read.ok ? read.value : {})) {
      const channel = fileChannel(name, entry, declared, settings.channelSecrets);
      if (channel.ok) channels.set(name, channel.value);
      else report(file, channel.issues);
    }
  }
  // A mapping file that names a scheme promises a signed channel: without its secrets it would
  // quietly take write keys instead (which may have leaked), so it does not start at all.
  for (const [name, { scheme }] of declared) {
    if (scheme !== undefined && channels.get(name)?.verifier === undefined) {
      problems.push(
        `channel "${name}": its mapping file names the scheme "${scheme.name}", but no secrets are configured for it; give it an entry in RAPPORT_CHANNELS_FILE`,
      );
    }
  }
  if (problems.length > 0) throw new ChannelsError(problems);
  return [...channels.values()];
}
