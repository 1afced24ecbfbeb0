import { describe, expect, it } from 'vitest';
import { CommitCoalescer } from './commits.js';

/** A commit that records what was resolved when it read the offsets, and finishes when told. */
function committer(resolved: { value: number }) {
  const seen: number[] = [];
  const finishers: (() => void)[] = [];
  const commit = () =>
    new Promise<void>((resolve) => {
      seen.push(resolved.value);
      finishers.push(resolve);
    });
  const started = async (count: number) => {
    while (seen.length < count) await new Promise((resolve) => setImmediate(resolve));
  };
  const finishNext = async () => {
    await started(seen.length - finishers.length + 1);
    finishers.shift()?.();
  };
  return { seen, commit, started, finishNext };
}

describe('CommitCoalescer', () => {
  it('gives the batches that finish in one turn a single commit of all their offsets', async () => {
    const resolved = { value: 0 };
    const { seen, commit, finishNext } = committer(resolved);
    const commits = new CommitCoalescer();
    const waiting = [1, 2, 3].map((offset) => {
      resolved.value = offset;
      return commits.commit(commit);
    });
    await finishNext();
    await Promise.all(waiting);
    expect(seen).toEqual([3]);
  });

  it('never overlaps commits: a batch finishing during one joins the next, which sees it', async () => {
    const resolved = { value: 1 };
    const { seen, commit, started, finishNext } = committer(resolved);
    const commits = new CommitCoalescer();
    const first = commits.commit(commit);
    await started(1);
    expect(seen).toEqual([1]);
    resolved.value = 2;
    const second = commits.commit(commit);
    resolved.value = 3;
    const third = commits.commit(commit);
    expect(seen).toEqual([1]);
    await finishNext();
    await first;
    await finishNext();
    await Promise.all([second, third]);
    expect(seen).toEqual([1, 3]);
  });

  it('rejects the callers of a failed commit and commits again for later batches', async () => {
    const commits = new CommitCoalescer();
    const failure = new Error('coordinator moved');
    await expect(commits.commit(() => Promise.reject(failure))).rejects.toBe(failure);
    let committed = 0;
    await commits.commit(() => {
      committed += 1;
      return Promise.resolve();
    });
    expect(committed).toBe(1);
  });
});
