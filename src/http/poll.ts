import type { TimeoutError } from '../shared/errors.js';
import { deadline, sleep } from '../shared/abort.js';
import { classify } from './retry.js';

/**
 * The one way the action waits for the platform: the checks after a close, a pyramid being built,
 * an offering being published. Reads at the chosen interval while things change, further apart
 * (up to a cap) while they do not; gives up at a deadline that also cuts a read in flight; forgives
 * a few reads in a row that failed after their own retries, since the platform works on meanwhile.
 */

/** Pauses grow by this while the state read stays the same… */
const GROWTH = 1.5;
/** …up to this, or the chosen interval if that is longer. */
const MAX_PAUSE_MS = 60_000;
/** Reads that may fail in a row (after their own retries) before the wait gives up. */
const ERROR_BUDGET = 3;

export interface PollOptions {
  /** The pause after a read that saw a change (input `poll-interval`). */
  firstPauseMs: number;
  /** The wait's deadline (`checks-timeout`, `processing-timeout`), from now. */
  withinMs: number;
  /** The error the deadline throws, made when it strikes (it may name the last state seen). */
  onTimeout: () => TimeoutError;
  /** The run's cancellation. */
  signal?: AbortSignal;
  /** A failed read that is forgiven: the wait goes on. */
  onForgiven?: (error: unknown) => void;
}

/** What one read saw: a state (to tell a change) and, once the wait is over, its value. */
export interface PollRead<T> {
  state: string;
  value?: T;
}

/**
 * Reads `read` until it gives a value. `read` gets the deadline's signal, to bind every request
 * it makes to it: no read outlives the wait.
 */
export async function poll<T>(options: PollOptions, read: (signal: AbortSignal) => Promise<PollRead<T>>): Promise<T> {
  const limit = deadline(options.signal, options.withinMs, options.onTimeout);
  const maxPause = Math.max(MAX_PAUSE_MS, options.firstPauseMs);
  let pause = options.firstPauseMs;
  let last: string | undefined;
  let failures = 0;
  try {
    for (;;) {
      try {
        const { state, value } = await read(limit.signal);
        failures = 0;
        pause = state === last ? Math.min(maxPause, pause * GROWTH) : options.firstPauseMs;
        last = state;
        if (value !== undefined) return value;
      } catch (error) {
        if (classify(error) === 'fatal' || ++failures > ERROR_BUDGET) throw error;
        options.onForgiven?.(error);
      }
      await sleep(pause, limit.signal);
    }
  } finally {
    limit.dispose();
  }
}
