import { EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { ApiError, CancelledError, NetworkError } from './errors.js';
import { sleep } from './pool.js';

/** Which failures are retried, and how long to wait between attempts. */
export interface RetryPolicy {
  /** Attempts in all for one request (input `retries`). */
  attempts: number;
  /** First backoff; doubles each attempt, with jitter (half fixed, half random). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A server's Retry-After is honoured up to this. */
  maxRetryAfterMs: number;
}

// A gateway hiccup lasts seconds; the SDK's fixed 5 x 1 s is too short for one (entrepot-api.md §9.9).
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 300_000 };

/**
 * Long waits suit multi-GB files: the portal allows 20 min idle (entrepot-api.md §2.5), and a
 * server may store a big file to S3 before it answers. undici's 300 s defaults would cut those.
 */
export const HEADERS_TIMEOUT_MS = 20 * 60_000;
export const BODY_TIMEOUT_MS = 5 * 60_000;
/** A request body that makes no progress for this long is aborted as stalled. */
export const STALL_TIMEOUT_MS = 2 * 60_000;
const CONNECT_TIMEOUT_MS = 30_000;

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
  /** Called for every attempt, so each one reads the data again from its first byte. */
  body?: () => RequestBody;
  /** Bearer token provider; the header is only sent to the API's origin. */
  bearer?: () => Promise<string>;
  /** Called on a 401 before the one retry with a fresh token. */
  onUnauthorized?: (token: string) => void;
  /** Attempts for this request; defaults to the policy's. */
  attempts?: number;
  /** Milliseconds without upload progress before the request is aborted (stream bodies). */
  stallTimeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  /** Parsed JSON when the body is JSON, the text otherwise, undefined when empty. */
  body: unknown;
}

export interface RequestLog {
  method: string;
  path: string;
  status?: number;
  ms: number;
  attempt: number;
  error?: string;
}

export interface RetryNotice {
  method: string;
  path: string;
  attempt: number;
  delayMs: number;
  reason: string;
}

export interface HttpOptions {
  retry?: RetryPolicy;
  dispatcher?: Dispatcher;
  /** Aborts every request and wait: the run was cancelled. */
  signal?: AbortSignal;
  /** Milliseconds without upload progress before a streamed body is abandoned. */
  stallTimeoutMs?: number;
  onRequest?: (log: RequestLog) => void;
  onRetry?: (notice: RetryNotice) => void;
}

/** One dispatcher for the run: keep-alive connections, proxy from HTTP(S)_PROXY / NO_PROXY. */
export function createDispatcher(): Dispatcher {
  return new EnvHttpProxyAgent({
    connect: { timeout: CONNECT_TIMEOUT_MS },
    headersTimeout: HEADERS_TIMEOUT_MS,
    bodyTimeout: BODY_TIMEOUT_MS,
  });
}

export class Http {
  private readonly retry: RetryPolicy;
  private readonly dispatcher: Dispatcher;

  constructor(private readonly options: HttpOptions = {}) {
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.dispatcher = options.dispatcher ?? createDispatcher();
  }

  /** Sends with retries on transient failures; throws ApiError, NetworkError or CancelledError. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const attempts = req.attempts ?? this.retry.attempts;
    let renewedAfter401 = false;
    for (let attempt = 1; ; attempt++) {
      let token: string | undefined;
      try {
        token = req.bearer ? await req.bearer() : undefined;
        return await this.sendOnce(req, token, attempt);
      } catch (error) {
        if (error instanceof ApiError && error.status === 401 && token && req.onUnauthorized && !renewedAfter401) {
          // The token expired early or was revoked: renew once, and do not count it as an attempt.
          renewedAfter401 = true;
          req.onUnauthorized(token);
          attempt--;
          continue;
        }
        if (!isTransient(error) || attempt >= attempts) throw withAttempts(error, attempt);
        const delayMs = this.retryDelay(attempt, error);
        this.options.onRetry?.({ method: req.method, path: pathOf(req.url), attempt, delayMs, reason: (error as Error).message });
        await sleep(delayMs, this.options.signal).catch(() => {
          throw new CancelledError();
        });
      }
    }
  }

  /** One attempt, no retry. Throws ApiError for a non-2xx status, NetworkError when no answer came. */
  async sendOnce(req: HttpRequest, token?: string, attempt = 1): Promise<HttpResponse> {
    const url = new URL(req.url);
    for (const [key, value] of Object.entries(req.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | AsyncIterable<Buffer> | undefined;
    let stream: AsyncGenerator<Buffer> | undefined;
    const stall = new AbortController();
    // One controller per request, aborted by a stall or by the run's cancellation (a plain
    // listener: AbortSignal.any keeps dependent signals alive and costs more per request).
    const signal = stall.signal;
    const cancel = () => stall.abort(this.options.signal?.reason);
    this.options.signal?.addEventListener('abort', cancel, { once: true });
    let stallTimer: NodeJS.Timeout | undefined;
    const armStall = () => {
      if (!stream) return;
      clearTimeout(stallTimer);
      stallTimer = setTimeout(
        () => stall.abort(new Error('stalled')),
        req.stallTimeoutMs ?? this.options.stallTimeoutMs ?? STALL_TIMEOUT_MS,
      );
    };
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
      // Every chunk undici pulls re-arms the stall timer; undici leaves aborting an iterable
      // body to its owner, so the tap also stops when the request is aborted.
      body = tap(made.stream, () => armStall(), signal);
    }
    armStall();

    const started = Date.now();
    const path = url.pathname;
    try {
      const res = await request(url, {
        method: req.method,
        headers,
        // Dispatcher.dispatch documents AsyncIterable bodies; request()'s types omit them.
        body: body as string | undefined,
        dispatcher: this.dispatcher,
        signal,
      });
      clearTimeout(stallTimer);
      const text = await res.body.text();
      this.options.signal?.removeEventListener('abort', cancel);
      const responseHeaders = flattenHeaders(res.headers);
      this.options.onRequest?.({ method: req.method, path, status: res.statusCode, ms: Date.now() - started, attempt });
      const parsed = parseBody(text, responseHeaders['content-type']);
      if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, headers: responseHeaders, body: parsed };
      const error = new ApiError(res.statusCode, req.method, path, errorDetails(parsed), 1, hintFor(res.statusCode));
      (error as ApiErrorWithRetryAfter).retryAfterMs = parseRetryAfter(responseHeaders['retry-after']);
      throw error;
    } catch (error) {
      clearTimeout(stallTimer);
      this.options.signal?.removeEventListener('abort', cancel);
      await stream?.return(undefined); // closes the file
      if (error instanceof ApiError) throw error;
      if (this.options.signal?.aborted) throw new CancelledError();
      const stallMs = req.stallTimeoutMs ?? this.options.stallTimeoutMs ?? STALL_TIMEOUT_MS;
      const reason = stall.signal.aborted
        ? `no upload progress for ${stallMs < 1000 ? `${stallMs} ms` : `${Math.round(stallMs / 1000)} s`}`
        : describeNetworkError(error);
      this.options.onRequest?.({ method: req.method, path, ms: Date.now() - started, attempt, error: reason });
      throw new NetworkError(req.method, path, reason);
    }
  }

  /** Wait before attempt `attempt + 1`: the server's Retry-After, else exponential with jitter. */
  retryDelay(attempt: number, error: unknown): number {
    const retryAfter = (error as ApiErrorWithRetryAfter).retryAfterMs;
    if (retryAfter !== undefined) return Math.min(retryAfter, this.retry.maxRetryAfterMs);
    const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }
}

type ApiErrorWithRetryAfter = ApiError & { retryAfterMs?: number };

/** Network errors, 408, 429 and 5xx may pass on a retry; other statuses will not. */
export function isTransient(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  if (error instanceof ApiError) return error.status === 408 || error.status === 429 || error.status >= 500;
  return false;
}

/**
 * True when a failed write may still have been stored: no answer, or a gateway error after the
 * body went through (a 502 on big files, entrepot-api.md §2.5). 503 and 429 say it was not.
 */
export function outcomeUnknown(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  return error instanceof ApiError && (error.status === 500 || error.status === 502 || error.status === 504);
}

function withAttempts(error: unknown, attempts: number): unknown {
  if (attempts <= 1) return error;
  if (error instanceof ApiError)
    return new ApiError(error.status, error.method, error.path, error.details, attempts, hintFor(error.status));
  if (error instanceof NetworkError) return new NetworkError(error.method, error.path, error.reason, attempts);
  return error;
}

function hintFor(status: number): string | undefined {
  if (status === 401) return 'The token was refused: check the authentication inputs';
  if (status === 403) return 'The account lacks a right on this datastore: it needs the UPLOAD right in the community that owns it';
  if (status === 413) return 'The server refused the size of the request';
  return undefined;
}

/** Milliseconds from `Retry-After` (delta-seconds or an HTTP date), if any. */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return undefined;
  if (contentType?.includes('json') || /^\s*[[{"]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/**
 * The API's error lines, whatever the body's shape: `{error_description: [..] | ".."}`, `{error}`,
 * `{message}`, a bare array or string, or a gateway's HTML page.
 */
export function errorDetails(body: unknown): string[] {
  const strings = (value: unknown): string[] =>
    Array.isArray(value) ? value.flatMap(strings) : typeof value === 'string' ? [value] : value == null ? [] : [JSON.stringify(value)];
  let lines: string[];
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    lines = strings(record.error_description);
    if (lines.length === 0) lines = strings(record.message);
    if (typeof record.error === 'string' && !lines.includes(record.error)) lines = lines.length ? lines : [record.error];
  } else if (typeof body === 'string') {
    const text = body
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    lines = text ? [text.length > 200 ? `${text.slice(0, 200)}…` : text] : [];
  } else {
    lines = strings(body);
  }
  return lines.map((line) => line.replace(/\s+/g, ' ').trim()).filter(Boolean);
}

function describeNetworkError(error: unknown): string {
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code;
  const message = e?.cause?.message ?? e?.message ?? String(error);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}

async function* tap(stream: AsyncIterable<Buffer>, onChunk: () => void, signal: AbortSignal): AsyncGenerator<Buffer> {
  for await (const chunk of stream) {
    if (signal.aborted) throw signal.reason;
    onChunk();
    yield chunk;
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(headers)) flat[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

function pathOf(url: string): string {
  return new URL(url).pathname;
}
