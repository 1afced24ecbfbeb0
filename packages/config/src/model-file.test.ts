import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel } from '@rapport/model';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from './config.js';
import { loadModelParams, ModelFileError } from './model-file.js';

async function file(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rapport-model-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function errorOf(path: string): Promise<ModelFileError> {
  const error: unknown = await loadModelParams(path).catch((caught: unknown) => caught);
  if (error instanceof ModelFileError) return error;
  throw new Error(`expected a ModelFileError, got ${String(error)}`);
}

describe('the model file', () => {
  it('is named by RAPPORT_MODEL_FILE, and the defaults stand without one', async () => {
    expect(loadConfig({ RAPPORT_MODEL_FILE: '/etc/rapport/model.yaml' }).model.file).toBe(
      '/etc/rapport/model.yaml',
    );
    expect(await loadModelParams(undefined)).toEqual(createModel().params);
  });

  it('declares new exchanges and tunes rhythms, in YAML or JSON', async () => {
    const yaml = await file(
      'model.yaml',
      [
        'catalog:',
        '  ticket.bought: { kind: engagement, inbound: 6, reciprocal: 4 }',
        'rhythm:',
        '  overdueAfterIntervals: 2',
        '  floorDays: 3',
      ].join('\n'),
    );
    const params = await loadModelParams(yaml);
    expect(params.catalog['ticket.bought']).toEqual({
      kind: 'engagement',
      inbound: 6,
      reciprocal: 4,
    });
    expect(params.rhythm).toMatchObject({ overdueAfterIntervals: 2, floorDays: 3, enabled: true });
    const json = await file('model.json', JSON.stringify({ rhythm: { enabled: false } }));
    expect((await loadModelParams(json)).rhythm.enabled).toBe(false);
    // What the file declares is what the model folds: the new type is an exchange.
    const model = createModel(params);
    const state = [0, 1, 2].reduce(
      (folded, week) =>
        model.apply(folded, {
          type: 'ticket.bought',
          channel: 'web',
          direction: 'inbound',
          occurredAt: new Date(Date.UTC(2026, 0, 1 + 7 * week)).toISOString(),
        }),
      model.empty(),
    );
    expect(model.predictedOverdueTime(state)).toBe(Date.UTC(2026, 0, 15 + 14));
  });

  it('names every problem by its path, and a file it cannot read or parse', async () => {
    const bad = await file(
      'bad.yaml',
      'halfLifeDays: -1\nrhythm: { floorDays: 30, ceilingDays: 10, often: true }\n',
    );
    const error = await errorOf(bad);
    expect(error.code).toBe('MODEL_FILE_INVALID');
    expect(error.issues.map((issue) => issue.path).sort()).toEqual([
      'halfLifeDays',
      'rhythm.floorDays',
      'rhythm.often',
    ]);
    expect(error.message).toContain(bad);
    expect((await errorOf('/nonexistent/model.yaml')).message).toMatch(/cannot read/);
    expect((await errorOf(await file('broken.yaml', 'a: [1, 2'))).message).toMatch(/not YAML/);
  });
});
