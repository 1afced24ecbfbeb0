import { describe, expect, it } from 'vitest';
import { CliError } from './cli-errors.js';
import { issuesByIndex } from './submit.js';

describe('issuesByIndex', () => {
  it('groups the gateway’s issues by batch item, paths relative to the item', () => {
    const byIndex = issuesByIndex(
      [
        { path: 'batch.3.occurredAt', message: 'is more than 5 minutes in the future' },
        { path: 'batch.0.value', message: 'Too small' },
        { path: 'batch.3.sentiment', message: 'Too big' },
        { path: 'batch.1', message: 'expected object' },
      ],
      4,
    );
    expect([...byIndex].sort(([a], [b]) => a - b)).toEqual([
      [0, [{ path: 'value', message: 'Too small' }]],
      [1, [{ path: '', message: 'expected object' }]],
      [
        3,
        [
          { path: 'occurredAt', message: 'is more than 5 minutes in the future' },
          { path: 'sentiment', message: 'Too big' },
        ],
      ],
    ]);
  });

  it('gives up on an issue no single item explains, since a resend would fail alike', () => {
    expect(() => issuesByIndex([{ path: '', message: 'expected an object' }], 2)).toThrow(CliError);
    expect(() => issuesByIndex([{ path: 'batch.7.value', message: 'x' }], 2)).toThrow(
      'the gateway refused the batch: batch.7.value: x',
    );
  });
});
