import { EnvHttpProxyAgent, type Dispatcher } from 'undici';
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
      const maxOk = this.options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
      const res = await exchange(this.dispatcher, url, req.method, headers, body, own.signal, {
        // The body is sent: from here on the answer's body is under the request timeout.
        onResponse: () => stream && abortAfter(timeoutMs, { kind: 'timeout', ms: timeoutMs }),
        maxOk,
        tooLarge: () => new BadResponseError(req.method, path, `the answer was larger than ${formatBytes(maxOk)}; it was not read further`),
      });
      this.options.onRequest?.({ method: req.method, path, status: res.status, ms: Date.now() - started });
      return res;
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
 * One request on the dispatcher's handler interface: no stream objects per answer, which for
 * thousands of small files is most of what a request makes (docs/performance.md). Resolves with
 * the status, the headers and the body as text, read up to a bound: past `maxOk` a 2xx rejects
 * with `tooLarge()`; an error answer is cut at 64 KiB. Either way the rest is never read (the
 * socket is dropped). Rejects with the signal's reason when it aborts, else undici's error.
 */
function exchange(
  dispatcher: Dispatcher,
  url: URL,
  method: HttpRequest['method'],
  headers: Record<string, string>,
  body: string | AsyncIterable<Buffer> | undefined,
  signal: AbortSignal,
  bounds: { onResponse: () => void; maxOk: number; tooLarge: () => Error },
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let settled = false;
    let status = 0;
    let answerHeaders: Record<string, string | undefined> = {};
    let limit = MAX_ERROR_BODY_BYTES;
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    const answer = () => ({ status, headers: answerHeaders, text: Buffer.concat(chunks, size).toString('utf8') });
    const onAbort = () => {
      controller?.abort(new Error('aborted'));
      finish(() => reject(signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    dispatcher.dispatch(
      // The dispatcher takes an async iterable body (Dispatcher.dispatch's docs); its types omit it.
      { origin: url.origin, path: `${url.pathname}${url.search}`, method, headers, body: body as string | undefined },
      {
        onRequestStart(started) {
          controller = started;
          if (signal.aborted) started.abort(new Error('aborted'));
        },
        onResponseStart(_c, statusCode, responseHeaders) {
          if (statusCode < 200) return; // an informational answer; the real one follows
          status = statusCode;
          answerHeaders = flattenHeaders(responseHeaders as Record<string, string | string[] | undefined>);
          if (status < 300) limit = bounds.maxOk;
          bounds.onResponse();
        },
        onResponseData(c, chunk) {
          if (settled) return;
          if (size + chunk.length <= limit) {
            chunks.push(chunk);
            size += chunk.length;
            return;
          }
          if (status >= 200 && status < 300) {
            const error = bounds.tooLarge();
            c.abort(error);
            finish(() => reject(error));
            return;
          }
          chunks.push(chunk.subarray(0, limit - size));
          size = limit;
          c.abort(new Error('the rest of an error answer is not read'));
          finish(() => resolve(answer()));
        },
        onResponseEnd() {
          finish(() => resolve(answer()));
        },
        onResponseError(_c, error) {
          finish(() => reject(error));
        },
      },
    );
  });
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
