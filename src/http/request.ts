import { EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { BadResponseError, LocalFileError, NetworkError } from '../shared/errors.js';
import { formatBytes, formatDuration } from '../shared/format.js';
import { exchange } from './answer.js';
import type { HttpOptions, HttpRequest, HttpResponse } from './types.js';
import { abortError, onAnyAbort } from '../shared/abort.js';

/**
 * One HTTP request, bounded in time and in what it reads. Knows sockets, proxies and timeouts, not
 * the Entrepôt: it answers every status as it came, and the API client reads it. No retries here
 * (see retry.ts).
 */

/**
 * Once its body is sent, a data POST waits long for its answer: the portal allows 20 min idle
 * (docs/api.md, "Sending a file"), and a server may copy a big file to S3 before it answers.
 */
export const DATA_ANSWER_TIMEOUT_MS = 20 * 60_000;
const BODY_TIMEOUT_MS = 5 * 60_000;
/** A JSON request (a list, a tree, a close) gets an answer within this, body included. */
export const JSON_REQUEST_TIMEOUT_MS = 2 * 60_000;
/** A request body that makes no progress for this long is aborted as stalled. */
export const STALL_TIMEOUT_MS = 2 * 60_000;
const CONNECT_TIMEOUT_MS = 30_000;
/**
 * The largest answer read. The biggest the action reads is the tree of a huge upload (about 100
 * bytes a file); an endless body stops here instead of filling the memory.
 */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** One dispatcher for the run: keep-alive connections, proxy from HTTP(S)_PROXY / NO_PROXY. */
export function createDispatcher(): Dispatcher {
  return new EnvHttpProxyAgent({
    connect: { timeout: CONNECT_TIMEOUT_MS },
    headersTimeout: DATA_ANSWER_TIMEOUT_MS,
    bodyTimeout: BODY_TIMEOUT_MS,
  });
}

type Abort = { kind: 'stall' } | { kind: 'timeout'; ms: number };

/** A request body as undici takes it, and the streamed one (to close its file on failure). */
interface Body {
  body?: string | AsyncIterable<Buffer>;
  stream?: AsyncGenerator<Buffer>;
  /** The body's own failure (a local file that changed), which is not the network's. */
  sourceError?: unknown;
}

export class Http {
  private readonly dispatcher: Dispatcher;
  /** The origins that have answered this run at least once. */
  private readonly answered = new Set<string>();

  constructor(private readonly options: HttpOptions = {}) {
    this.dispatcher = options.dispatcher ?? createDispatcher();
  }

  /**
   * One attempt. Resolves with any HTTP status; throws NetworkError when no whole answer came,
   * BadResponseError when a 2xx answer is larger than the bound, LocalFileError when the body's
   * file failed, and the abort's error (CancelledError, TimeoutError) when a signal fired.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url);
    for (const [key, value] of Object.entries(req.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (req.bearer) headers.authorization = `Bearer ${req.bearer}`;
    const guard = new Guard([this.options.signal, req.signal]);
    const stallMs = this.options.stallTimeoutMs ?? STALL_TIMEOUT_MS;
    const timeoutMs = this.options.requestTimeoutMs ?? JSON_REQUEST_TIMEOUT_MS;
    const body = requestBody(req, headers, guard, stallMs);
    if (body.stream) guard.after(stallMs, { kind: 'stall' });
    else guard.after(timeoutMs, { kind: 'timeout', ms: timeoutMs });

    const started = Date.now();
    const path = url.pathname;
    try {
      guard.throwIfOuterAborted();
      const maxOk = this.options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
      const res = await exchange(this.dispatcher, url, req.method, headers, body.body, guard.signal, {
        // The body is sent: from here on the answer's body is under the request timeout.
        onResponse: () => body.stream && guard.after(timeoutMs, { kind: 'timeout', ms: timeoutMs }),
        maxOk,
        tooLarge: () => new BadResponseError(req.method, path, `the answer was larger than ${formatBytes(maxOk)}; it was not read further`),
      });
      this.options.onRequest?.({ method: req.method, path, status: res.status, ms: Date.now() - started });
      this.answered.add(url.origin);
      return res;
    } catch (error) {
      await body.stream?.return(undefined); // closes the file
      if (error instanceof BadResponseError) throw error;
      guard.throwIfOuterAborted();
      if (body.sourceError instanceof LocalFileError) throw body.sourceError;
      const why = guard.reason;
      const reason =
        why?.kind === 'stall'
          ? `no upload progress for ${formatDuration(stallMs, 'ms')}`
          : why?.kind === 'timeout'
            ? `no whole answer within ${formatDuration(timeoutMs, 'ms')}`
            : describeNetworkError(body.sourceError ?? error);
      this.options.onRequest?.({ method: req.method, path, ms: Date.now() - started, error: reason });
      // Nothing has ever answered at that address, and nothing listens there (or the name is
      // unknown): a wrong URL, not a hiccup; no retry hides it for half a minute.
      const unreachable = !this.answered.has(url.origin) && /\b(ECONNREFUSED|ENOTFOUND)\b/.test(reason);
      throw new NetworkError(req.method, path, reason, unreachable);
    } finally {
      guard.dispose();
    }
  }
}

/**
 * One request's abort: the run's cancellation and the caller's signal (a deadline), and the timer
 * of a stall or of the answer, re-armed as the body moves (shared/abort.ts combines the signals).
 */
class Guard {
  private readonly own = new AbortController();
  private readonly outer: AbortSignal[];
  private timer?: NodeJS.Timeout;
  private readonly stopListening: () => void;

  constructor(signals: Array<AbortSignal | undefined>) {
    this.outer = signals.filter((s): s is AbortSignal => s !== undefined);
    this.stopListening = onAnyAbort(this.outer, () => this.own.abort());
  }

  get signal(): AbortSignal {
    return this.own.signal;
  }

  /** Why the request was aborted by its own timer, if it was. */
  get reason(): Abort | undefined {
    return this.own.signal.reason as Abort | undefined;
  }

  /** Aborts the request in `ms` unless re-armed first. */
  after(ms: number, why: Abort): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.own.abort(why), ms);
  }

  /** An outer signal's own error: a cancellation, or a deadline's TimeoutError. */
  throwIfOuterAborted(): void {
    for (const signal of this.outer) if (signal.aborted) throw abortError(signal);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.stopListening();
  }
}

/** The body of `req`, its content type set in `headers`. */
function requestBody(req: HttpRequest, headers: Record<string, string>, guard: Guard, stallMs: number): Body {
  if (req.json !== undefined) {
    headers['content-type'] = 'application/json';
    return { body: JSON.stringify(req.json) };
  }
  if (req.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return { body: new URLSearchParams(req.form).toString() };
  }
  if (!req.body) return {};
  const made = req.body();
  headers['content-type'] = made.contentType;
  headers['content-length'] = String(made.length);
  const body: Body = { stream: made.stream };
  // Every chunk undici pulls re-arms the stall timer. undici leaves aborting an iterable body to
  // its owner, so the tap stops when the request is aborted; it keeps the source's own error (a
  // local file that changed), which is not the network's.
  body.body = tap(
    made.stream,
    () => guard.after(stallMs, { kind: 'stall' }),
    () => guard.after(DATA_ANSWER_TIMEOUT_MS, { kind: 'timeout', ms: DATA_ANSWER_TIMEOUT_MS }),
    guard.signal,
    (error) => (body.sourceError = error),
  );
  return body;
}

function describeNetworkError(error: unknown): string {
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code;
  const message = e?.cause?.message ?? e?.message ?? String(error);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}

/** Passes the body's chunks on, saying when each leaves and when the last has left. */
async function* tap(
  stream: AsyncIterable<Buffer>,
  onChunk: () => void,
  onEnd: () => void,
  signal: AbortSignal,
  onSourceError: (error: unknown) => void,
): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream) {
      if (signal.aborted) throw signal.reason;
      onChunk();
      yield chunk;
    }
    onEnd();
  } catch (error) {
    if (!signal.aborted) onSourceError(error);
    throw error;
  }
}
