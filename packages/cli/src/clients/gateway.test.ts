import { loadConfig } from '@rapport/config';
import { describe, expect, it } from 'vitest';
import { CliError } from '../cli-errors.js';
import { gatewayTarget, issuesByIndex, retryAfterMs } from './gateway.js';

describe('gatewayTarget', () => {
  it('defaults to the configured gateway and the dev key `rapport up` uses', () => {
    expect(gatewayTarget(loadConfig({}), {})).toEqual({
      url: 'http://127.0.0.1:8080',
      key: 'dev-write-key',
    });
  });

  it('takes the first configured write key, and flags over both', () => {
    const config = loadConfig({
      RAPPORT_HOST: '10.0.0.5',
      RAPPORT_GATEWAY_PORT: '9000',
      RAPPORT_WRITE_KEYS: 'first-write-key,second-write-key',
    });
    expect(gatewayTarget(config, {})).toEqual({
      url: 'http://10.0.0.5:9000',
      key: 'first-write-key',
    });
    expect(gatewayTarget(config, { gateway: 'https://in.example.com/', key: 'k9' })).toEqual({
      url: 'https://in.example.com',
      key: 'k9',
    });
  });
});

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

describe('Retry-After', () => {
  it('reads Retry-After in seconds', () => {
    expect(retryAfterMs('1')).toBe(1000);
    expect(retryAfterMs(' 5 ')).toBe(5000);
    expect(retryAfterMs('0.5')).toBe(500);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT')).toBeUndefined();
  });
});
