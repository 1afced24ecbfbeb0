import { z } from 'zod';

/** `a, b,,c` → `['a', 'b', 'c']`: comma-separated, each trimmed, empty parts dropped. */
export const commaList = z.string().transform((raw) =>
  raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0),
);

/** `host:port`, as a broker or a node is named. */
export const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port');

/** `name=value` split at its first `=` (a value may hold more of them: URLs, base64). */
export function nameAndValue(pair: string): [string, string] {
  const at = pair.indexOf('=');
  return [pair.slice(0, at), pair.slice(at + 1)];
}
