import { accessSync, constants } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's Chromium, which infra/setup.sh installs (`chromium` on PATH, as `rapport fetch` looks
 * for it): no browser is downloaded from elsewhere. `RAPPORT_CHROMIUM` names another.
 */
export function chromiumPath(): string {
  const given = process.env['RAPPORT_CHROMIUM'];
  if (given !== undefined && given !== '') return given;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, 'chromium');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder.
    }
  }
  throw new Error("no chromium on PATH: run ./infra/setup.sh (it installs Debian's chromium)");
}

/**
 * Headless, and quiet on the network: without the background-networking flags Chromium keeps
 * reaching for Google's hosts, which this machine's closed network refuses. No sandbox: the
 * suites run as root in CI.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where the screenshots go for a person to look at (ignored by git). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../.artifacts/dashboard/', import.meta.url));

/** A full-page screenshot saved as an artifact; its PNG bytes. */
export async function screenshot(page: Page, name: string): Promise<Buffer> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const png = await page.screenshot({ fullPage: true });
  await writeFile(join(ARTIFACTS_DIR, `${name}.png`), png);
  return png;
}

/**
 * How many different byte values the PNG's pixel data holds once inflated: a blank page (one
 * colour, rows filtered to zeros) has a handful; a page of text, colours and charts, hundreds.
 */
export function pixelVariety(png: Buffer): number {
  const chunks: Buffer[] = [];
  for (let offset = 8; offset < png.length;) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    if (type === 'IDAT') chunks.push(png.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  return new Set(inflateSync(Buffer.concat(chunks))).size;
}
