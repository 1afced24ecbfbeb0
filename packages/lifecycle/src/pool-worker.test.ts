import { describe, expect, it } from 'vitest';
import { Replies } from './pool-worker.js';

describe('Replies', () => {
  it('settles each question once: by its answer, a failed send, its process exiting or the timeout', async () => {
    const replies = new Replies<string, 'a' | 'b'>(50);
    const sent: number[] = [];
    const answered = replies.ask('a', (id) => sent.push(id), 'a did not answer');
    const refused = replies.ask('a', (_id, fail) => fail(new Error('channel closed')), 'unused');
    const exited = replies.ask('b', (id) => sent.push(id), 'b did not answer');
    const silent = replies.ask('a', (id) => sent.push(id), 'a did not answer');

    replies.answer(sent[0] ?? -1, 'ready');
    replies.answer(sent[0] ?? -1, 'a second answer is ignored');
    replies.failAll('b', new Error('b exited'));

    await expect(answered).resolves.toBe('ready');
    await expect(refused).rejects.toThrow('channel closed');
    await expect(exited).rejects.toThrow('b exited');
    await expect(silent).rejects.toThrow('a did not answer within 50 ms');
    replies.answer(sent[2] ?? -1, 'too late: nothing waits any more');
  });
});
