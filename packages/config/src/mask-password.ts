/**
 * A URL as it may be shown (logs, errors, `rapport up` and `status`) with its password, if any,
 * replaced by `***`: a Redis URL carries its ACL user's password. Unlike the webhook URLs'
 * `redactUrl`, the rest stays, since where Redis is (host, port, user, database) is what an
 * operator reading it needs.
 */
export function maskPassword(url: string): string {
  // Not shown at all when it does not parse: where its password is cannot be told.
  if (!URL.canParse(url)) return '(a URL that does not parse)';
  const parsed = new URL(url);
  if (parsed.password === '') return url;
  parsed.password = '***';
  return parsed.href;
}
