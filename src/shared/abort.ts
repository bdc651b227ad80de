import { ActionError, CancelledError } from './errors.js';

/**
 * The one way the action combines abort signals and bounds a wait: the run's cancellation (SIGINT,
 * SIGTERM), a deadline (`checks-timeout`, a request's own timer) and the wait itself. Plain
 * listeners rather than `AbortSignal.any`, which keeps dependent signals alive and costs more per
 * request (docs/performance.md); `AbortSignal.timeout` cannot be disposed nor carry our error.
 */

/** Node's timers fire at once past 2^31-1 ms: every wait is clamped below it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer's delay, clamped to what Node's timers take. */
function timerMs(ms: number): number {
  return Math.max(0, Math.min(ms, MAX_TIMER_MS));
}

/** The error an aborted signal stands for: its own when it is ours (a deadline), else a cancel. */
export function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof ActionError ? signal.reason : new CancelledError();
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/**
 * Calls `onAbort` once when any of `signals` aborts (at once if one already has); the returned
 * function removes the listeners.
 */
export function onAnyAbort(signals: ReadonlyArray<AbortSignal | undefined>, onAbort: (signal: AbortSignal) => void): () => void {
  const listening: Array<[AbortSignal, () => void]> = [];
  const dispose = () => {
    for (const [signal, listener] of listening) signal.removeEventListener('abort', listener);
    listening.length = 0;
  };
  for (const signal of signals) {
    if (!signal) continue;
    if (signal.aborted) {
      dispose();
      onAbort(signal);
      return dispose;
    }
    const listener = () => {
      dispose();
      onAbort(signal);
    };
    signal.addEventListener('abort', listener, { once: true });
    listening.push([signal, listener]);
  }
  return dispose;
}

/** Resolves after `ms`; rejects with the abort's error (cancellation or deadline) first if aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = onAnyAbort([signal], (aborted) => {
      clearTimeout(timer);
      reject(abortError(aborted));
    });
    if (signal?.aborted) return;
    const timer = setTimeout(() => {
      stop();
      resolve();
    }, timerMs(ms));
  });
}

/** Waits for `promise`, or throws the abort's error first (a deadline during a token request). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const stop = onAnyAbort([signal], (aborted) => reject(abortError(aborted)));
    promise.then(resolve, reject).finally(stop);
  });
}

/**
 * A signal that aborts when `parent` does, or after `ms` with the error `onExpiry` makes: a
 * deadline that holds while a request is in flight. `dispose` stops its timer.
 */
export function deadline(parent: AbortSignal | undefined, ms: number, onExpiry: () => Error): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(onExpiry()), timerMs(ms));
  const stop = onAnyAbort([parent], (aborted) => controller.abort(aborted.reason));
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      stop();
    },
  };
}
