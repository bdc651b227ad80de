import { sleep, throwIfAborted } from '../shared/abort.js';
import { ApiError, BadResponseError, NetworkError, reasonOf, RequestError } from '../shared/errors.js';

/**
 * The one place that decides what to do when a request fails: how many attempts, how long to wait,
 * which failures are worth another try, and, for a request that changes the datastore, how to find
 * out whether the server acted before acting again (the *reconcile* step). Every caller (the API
 * client, the token source) goes through a `Retrier`; nothing else loops on errors.
 * See docs/api.md, "Lost answers", for the facts behind each rule.
 */

export interface RetryPolicy {
  /** Attempts in all for one request (input `retries`). */
  attempts: number;
  /** First backoff; doubles each attempt, with jitter (half fixed, half random). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A server's Retry-After is honoured up to this. */
  maxRetryAfterMs: number;
}

// A gateway hiccup lasts seconds; the SDK's fixed 5 x 1 s is too short for one (docs/api.md).
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 300_000 };

/**
 * - `retry`: the server said it did not act (408, 429, 503): try again.
 * - `unknown`: no answer, a gateway error (500, 502, 504) or an unreadable 2xx: the server may
 *   have acted. A read tries again; a write first looks at the server's state.
 * - `fatal`: trying again cannot help (4xx, a local file problem, a refused token, a bug).
 */
export type Verdict = 'retry' | 'unknown' | 'fatal';

export function classify(error: unknown): Verdict {
  if (error instanceof NetworkError && error.unreachable) return 'fatal';
  if (error instanceof NetworkError || error instanceof BadResponseError) return 'unknown';
  if (error instanceof ApiError) {
    if (error.status === 500 || error.status === 502 || error.status === 504) return 'unknown';
    if (error.status === 408 || error.status === 429 || error.status >= 500) return 'retry';
  }
  return 'fatal';
}

/** Wait before attempt `attempt + 1`: the server's Retry-After, else exponential with jitter. */
export function backoffDelay(policy: RetryPolicy, attempt: number, error: unknown): number {
  const retryAfter = error instanceof ApiError ? error.retryAfterMs : undefined;
  if (retryAfter !== undefined) return Math.min(retryAfter, policy.maxRetryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/**
 * What a reconcile step found on the server: the change is there (with its result), or not.
 * `retry` says that a conflict is cleared (a partial file was removed), so trying again may pass.
 */
export type Reconciled<T> = { done: true; value: T } | { done: false; retry?: boolean };

export interface RetryNotice {
  what: string;
  attempt: number;
  delayMs: number;
  reason: string;
}

export interface Attempted<T> {
  value: T;
  attempts: number;
  /** The last attempt's answer was lost, and the server's state showed the change was made. */
  reconciled: boolean;
}

export class Retrier {
  constructor(
    readonly policy: RetryPolicy = DEFAULT_RETRY,
    /** Aborts waits and requests: the run's cancellation, or a deadline (its reason is thrown). */
    readonly signal?: AbortSignal,
    private readonly onRetry?: (notice: RetryNotice) => void,
  ) {}

  /** The same policy under another signal (a deadline that covers the run's cancellation). */
  within(signal: AbortSignal): Retrier {
    return new Retrier(this.policy, signal, this.onRetry);
  }

  /** A request that changes nothing: tried again on any transient failure. */
  async read<T>(what: string, attempt: (n: number) => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      throwIfAborted(this.signal);
      try {
        return await attempt(n);
      } catch (error) {
        if (classify(error) === 'fatal' || n >= this.policy.attempts) throw withAttempts(error, n);
        await this.pause(what, n, error);
      }
    }
  }

  /**
   * A request that changes the datastore, made at most once. After an unknown outcome, or a
   * conflict (`conflicts`, e.g. 409 for a create, 404 for a delete) that a lost earlier answer
   * explains, `reconcile` looks at the server: when the change is there, that is the result;
   * otherwise the request is tried again while attempts remain.
   */
  async write<T>(
    what: string,
    attempt: (n: number) => Promise<T>,
    reconcile: (error: unknown) => Promise<Reconciled<T>>,
    conflicts: readonly number[] = [409],
  ): Promise<Attempted<T>> {
    for (let n = 1; ; n++) {
      throwIfAborted(this.signal);
      try {
        return { value: await attempt(n), attempts: n, reconciled: false };
      } catch (error) {
        const verdict = classify(error);
        const conflict = error instanceof ApiError && conflicts.includes(error.status);
        let cleared = false;
        if (verdict === 'unknown' || conflict) {
          const state = await reconcile(error);
          if (state.done) return { value: state.value, attempts: n, reconciled: true };
          cleared = state.retry === true;
        }
        if ((verdict === 'fatal' && !(conflict && cleared)) || n >= this.policy.attempts) throw withAttempts(error, n);
        await this.pause(what, n, error);
      }
    }
  }

  /** Waits before the next attempt; a deadline or a cancellation cuts the wait short. */
  private async pause(what: string, attempt: number, error: unknown): Promise<void> {
    const delayMs = backoffDelay(this.policy, attempt, error);
    this.onRetry?.({ what, attempt, delayMs, reason: reasonOf(error) });
    await sleep(delayMs, this.signal);
  }
}

/**
 * Reads `probe` until `accept` says yes, with growing pauses, for at most `budgetMs`; returns the
 * last value read. For a server whose view lags behind what it did (the tree after a 502).
 */
export async function waitFor<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  budgetMs: number,
  signal?: AbortSignal,
  firstPauseMs = 250,
): Promise<T> {
  const until = Date.now() + budgetMs;
  let pause = firstPauseMs;
  for (;;) {
    const value = await probe();
    const left = until - Date.now();
    if (accept(value) || left <= 0) return value;
    await sleep(Math.min(pause, left), signal);
    pause *= 2;
  }
}

/** The same error, saying how many attempts were made. */
function withAttempts(error: unknown, attempts: number): unknown {
  return error instanceof RequestError ? error.withAttempts(attempts) : error;
}
