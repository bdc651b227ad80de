import { EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { BadResponseError, LocalFileError, NetworkError } from './errors.js';
import { formatBytes } from './format.js';
import { abortError } from './retry.js';

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
/** An error answer is only read for its message: the rest is dropped. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface RequestBody {
  /** The bytes, pulled as the socket drains: undici writes an async iterable with backpressure. */
  stream: AsyncGenerator<Buffer>;
  length: number;
  contentType: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH' | 'PUT';
  url: string;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
  /** A streamed body, made afresh for each attempt so it starts from its first byte. */
  body?: () => RequestBody;
  /** Bearer token for the Authorization header. */
  bearer?: string;
  /** Aborts this request: a deadline or the run's cancellation (its reason is what is thrown). */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  /** The body as text: all of it for a 2xx, the first 64 KiB of an error. */
  text: string;
}

export interface RequestLog {
  method: string;
  path: string;
  status?: number;
  ms: number;
  error?: string;
}

export interface HttpOptions {
  dispatcher?: Dispatcher;
  /** The run's cancellation: aborts every request. */
  signal?: AbortSignal;
  /** Limit for a request without a streamed body, answer included. */
  requestTimeoutMs?: number;
  /** Milliseconds without upload progress before a streamed body is abandoned. */
  stallTimeoutMs?: number;
  /** The largest 2xx answer read. */
  maxResponseBytes?: number;
  onRequest?: (log: RequestLog) => void;
}

/** One dispatcher for the run: keep-alive connections, proxy from HTTP(S)_PROXY / NO_PROXY. */
export function createDispatcher(): Dispatcher {
  return new EnvHttpProxyAgent({
    connect: { timeout: CONNECT_TIMEOUT_MS },
    headersTimeout: DATA_ANSWER_TIMEOUT_MS,
    bodyTimeout: BODY_TIMEOUT_MS,
  });
}

type Abort = { kind: 'stall' } | { kind: 'timeout'; ms: number };

export class Http {
  private readonly dispatcher: Dispatcher;

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
    const own = new AbortController();
    // A plain listener per outer signal: AbortSignal.any keeps dependent signals alive and costs
    // more per request.
    const outer = [this.options.signal, req.signal].filter((s): s is AbortSignal => s !== undefined);
    const onOuter = () => own.abort();
    for (const signal of outer) signal.addEventListener('abort', onOuter, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const abortAfter = (ms: number, why: Abort) => {
      clearTimeout(timer);
      timer = setTimeout(() => own.abort(why), ms);
    };

    let body: string | AsyncIterable<Buffer> | undefined;
    let stream: AsyncGenerator<Buffer> | undefined;
    let sourceError: unknown;
    const stallMs = this.options.stallTimeoutMs ?? STALL_TIMEOUT_MS;
    const timeoutMs = this.options.requestTimeoutMs ?? JSON_REQUEST_TIMEOUT_MS;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(req.form).toString();
    } else if (req.body) {
      const made = req.body();
      headers['content-type'] = made.contentType;
      headers['content-length'] = String(made.length);
      stream = made.stream;
      // Every chunk undici pulls re-arms the stall timer. undici leaves aborting an iterable body
      // to its owner, so the tap stops when the request is aborted; it keeps the source's own
      // error (a local file that changed), which is not the network's.
      body = tap(
        made.stream,
        () => abortAfter(stallMs, { kind: 'stall' }),
        () => abortAfter(DATA_ANSWER_TIMEOUT_MS, { kind: 'timeout', ms: DATA_ANSWER_TIMEOUT_MS }),
        own.signal,
        (error) => (sourceError = error),
      );
    }
    if (stream) abortAfter(stallMs, { kind: 'stall' });
    else abortAfter(timeoutMs, { kind: 'timeout', ms: timeoutMs });

    const started = Date.now();
    const path = url.pathname;
    try {
      for (const signal of outer) if (signal.aborted) throw abortError(signal);
      const res = await request(url, {
        method: req.method,
        headers,
        // Dispatcher.dispatch documents AsyncIterable bodies; request()'s types omit them.
        body: body as string | undefined,
        dispatcher: this.dispatcher,
        signal: own.signal,
      });
      // The body is sent: from here on the answer's body is under the request timeout.
      if (stream) abortAfter(timeoutMs, { kind: 'timeout', ms: timeoutMs });
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      const text = await readBounded(
        res.body,
        ok ? (this.options.maxResponseBytes ?? MAX_RESPONSE_BYTES) : MAX_ERROR_BODY_BYTES,
        ok,
        () => {
          throw new BadResponseError(
            req.method,
            path,
            `the answer was larger than ${formatBytes(this.options.maxResponseBytes ?? MAX_RESPONSE_BYTES)}; it was not read further`,
          );
        },
      );
      this.options.onRequest?.({ method: req.method, path, status: res.statusCode, ms: Date.now() - started });
      return { status: res.statusCode, headers: flattenHeaders(res.headers), text };
    } catch (error) {
      await stream?.return(undefined); // closes the file
      if (error instanceof BadResponseError) throw error;
      for (const signal of outer) if (signal.aborted) throw abortError(signal);
      if (sourceError instanceof LocalFileError) throw sourceError;
      const why = own.signal.reason as Abort | undefined;
      const reason =
        why?.kind === 'stall'
          ? `no upload progress for ${seconds(stallMs)}`
          : why?.kind === 'timeout'
            ? `no whole answer within ${seconds(timeoutMs)}`
            : describeNetworkError(sourceError ?? error);
      this.options.onRequest?.({ method: req.method, path, ms: Date.now() - started, error: reason });
      throw new NetworkError(req.method, path, reason);
    } finally {
      clearTimeout(timer);
      for (const signal of outer) signal.removeEventListener('abort', onOuter);
    }
  }
}

/**
 * The body as text, reading at most `limit` bytes. Past it, a 2xx calls `tooLarge` (which throws)
 * and an error answer is cut there. Either way the rest is never read: the socket is dropped.
 */
async function readBounded(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number, strict: boolean, tooLarge: () => never) {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size + chunk.length > limit) {
      body.destroy();
      if (strict) tooLarge();
      chunks.push(chunk.subarray(0, limit - size));
      break;
    }
    size += chunk.length;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
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

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(headers)) flat[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}
