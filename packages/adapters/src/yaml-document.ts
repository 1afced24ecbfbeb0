import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { parseWith, type Issue, type ParseResult } from '@rapport/schema';

/**
 * A YAML document (or JSON, which YAML reads too) checked with `schema`: YAML's own errors are
 * issues of the whole document, the schema's sit at their paths. Neither quotes the text: yaml's
 * messages continue with a code frame after the first line, which could show a secret, so only
 * the first line is kept.
 */
export function parseYaml<T>(text: string, schema: z.ZodType<T>): ParseResult<T> {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    return {
      ok: false,
      issues: document.errors.map((error) => ({
        path: '',
        message: error.message.split('\n')[0] ?? '',
      })),
    };
  }
  return parseWith(schema, document.toJS());
}

/** An issue of a file as one line: `file: path: message`, or `file: message` for the whole. */
export function fileIssue(fileName: string, { path, message }: Issue): string {
  return path === '' ? `${fileName}: ${message}` : `${fileName}: ${path}: ${message}`;
}
