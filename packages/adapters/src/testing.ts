import { expect } from 'vitest';
import type { AdaptContext, AdapterResult } from './adapter.js';

/** Test helpers: the events of a result that must succeed, the issues of one that must fail. */

export const CONTEXT: AdaptContext = { receivedAt: '2024-05-01T12:00:00.000Z' };

export function eventsOf(result: AdapterResult) {
  expect(result.ok ? [] : result.issues).toEqual([]);
  return result.ok ? result.events : [];
}

export function issuesOf(result: AdapterResult) {
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.issues;
}

export function pathsOf(result: AdapterResult): string[] {
  return issuesOf(result).map((issue) => issue.path);
}
