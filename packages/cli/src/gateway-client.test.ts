import { loadConfig } from '@rapport/config';
import { describe, expect, it } from 'vitest';
import { gatewayTarget } from './gateway-client.js';

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
