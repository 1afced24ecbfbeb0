import type { Config, KeyClass } from '@rapport/config';
import { DEV_KEYS } from '../service-processes.js';

/** One of Rapport's HTTP servers, as a command reaches it: its base URL and the key it sends. */
export interface ServerTarget {
  readonly url: string;
  readonly key: string;
}

const SERVERS = {
  gateway: { port: (config: Config) => config.http.gatewayPort, keyClass: 'write' },
  api: { port: (config: Config) => config.http.apiPort, keyClass: 'read' },
} as const;

/**
 * The URL flag (`--gateway`, `--api`) else the configured host and port; `--key` else the first
 * configured key of the class the command needs (the server's own: write for the gateway, read for
 * the API; admin for its admin routes), else the dev key `rapport up` gives that class when none is
 * configured.
 */
export function serverTarget(
  config: Config,
  server: keyof typeof SERVERS,
  flags: { readonly url?: string | undefined; readonly key?: string | undefined },
  keyClass: KeyClass = SERVERS[server].keyClass,
): ServerTarget {
  const { port } = SERVERS[server];
  const url = flags.url ?? `http://${config.http.host}:${port(config)}`;
  return {
    url: url.replace(/\/+$/, ''),
    key: flags.key ?? config.auth[keyClass][0] ?? DEV_KEYS[keyClass],
  };
}
