import { describe, expect, it } from 'vitest';
import { ApiError, TimeoutError, UploadStateError } from '../src/shared/errors.js';
import { poll } from '../src/http/poll.js';
import { sleep } from '../src/shared/abort.js';

// The one wait of the action (checks, pyramid, offering), on reads made up here.
const timeout = () => new TimeoutError('too long');

describe('poll', () => {
  it('pauses longer while the state stays the same, and from the first pause again after a change', async () => {
    const states = ['a', 'a', 'a', 'b', 'b', 'done'];
    const at: number[] = [];
    const value = await poll({ firstPauseMs: 20, withinMs: 10_000, onTimeout: timeout }, async () => {
      at.push(Date.now());
      const state = states[at.length - 1];
      return { state, value: state === 'done' ? 42 : undefined };
    });
    expect(value).toBe(42);
    const pauses = at.slice(1).map((t, i) => t - at[i]);
    // a→a grows (20, 30, 45), a→b starts over (20), b→b grows again (30).
    expect(pauses[1]).toBeGreaterThan(pauses[0]);
    expect(pauses[2]).toBeGreaterThan(pauses[1]);
    expect(pauses[3]).toBeLessThan(pauses[2]);
  });

  it('forgives three failed reads in a row, not four; a fatal error at once', async () => {
    const forgiven: unknown[] = [];
    let reads = 0;
    const flaky = poll({ firstPauseMs: 1, withinMs: 10_000, onTimeout: timeout, onForgiven: (e) => forgiven.push(e) }, async () => {
      reads++;
      throw new ApiError(503, 'GET', '/x', []);
    });
    await expect(flaky).rejects.toBeInstanceOf(ApiError);
    expect([reads, forgiven.length]).toEqual([4, 3]);
    reads = 0;
    const fatal = poll({ firstPauseMs: 1, withinMs: 10_000, onTimeout: timeout }, async () => {
      reads++;
      throw new UploadStateError('reopened');
    });
    await expect(fatal).rejects.toBeInstanceOf(UploadStateError);
    expect(reads).toBe(1);
  });

  it('a deadline cuts a read in flight, with the error it makes', async () => {
    const started = Date.now();
    const hanging = poll({ firstPauseMs: 1, withinMs: 100, onTimeout: timeout }, (signal) =>
      sleep(60_000, signal).then(() => ({ state: '' })),
    );
    await expect(hanging).rejects.toThrow('too long');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
