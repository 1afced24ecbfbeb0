import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './index.js';

describe('createLogger', () => {
  it('never writes keys, passwords or secrets, wherever they sit in a logged object', () => {
    let written = '';
    const logger = createLogger({ logLevel: 'info' }, 'test', {
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          written += chunk.toString();
          done();
        },
      }),
    });
    logger.info(
      {
        req: { headers: { authorization: 'Bearer very-secret-key' } },
        err: { config: { password: 'hunter2-password' } },
        auth: { write: ['a-write-key-value'] },
        channel: { secret: 'whsec-channel-secret' },
      },
      'something happened',
    );
    expect(written).toContain('something happened');
    for (const secret of ['very-secret-key', 'hunter2-password', 'a-write-key-value', 'whsec']) {
      expect(written).not.toContain(secret);
    }
  });
});
