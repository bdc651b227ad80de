import type { Dispatcher } from 'undici';

/** One HTTP request and its answer, as request.ts sends and reads them. */

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
