import { readFile } from 'node:fs/promises';
import { parseWith, type Issue } from '@rapport/schema';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

/**
 * A configuration file in YAML (or JSON, which is YAML) checked with `schema`; an empty file is
 * `{}`. Every problem (unreadable, not YAML, each schema issue by its path) goes to `refuse`,
 * which throws the caller's coded error: files are checked at start-up, never later.
 */
export async function readYamlFile<T>(
  path: string,
  schema: z.ZodType<T>,
  refuse: (issues: readonly Issue[]) => Error,
): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw refuse([{ path: '', message: `cannot read: ${String(error)}` }]);
  }
  let document: unknown;
  try {
    document = parseYaml(text) ?? {};
  } catch (error) {
    throw refuse([{ path: '', message: `not YAML or JSON: ${String(error)}` }]);
  }
  const parsed = parseWith(schema, document);
  if (!parsed.ok) throw refuse(parsed.issues);
  return parsed.value;
}
