import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ASSETS_DIR } from './paths.js';

export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
  /** A strong validator of the content, for conditional requests. */
  readonly etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The built dashboard, read into memory once: a handful of files, so serving them never touches
 * the disk and no request path ever reaches the file system. `undefined` when it was not built
 * (the query API then answers its routes with how to build it).
 */
export async function loadDashboard(dir = ASSETS_DIR): Promise<Map<string, Asset> | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  if (!names.includes('index.html')) return undefined;
  const assets = new Map<string, Asset>();
  for (const name of names) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType === undefined) continue;
    const body = await readFile(join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, contentType, etag });
  }
  return assets;
}
