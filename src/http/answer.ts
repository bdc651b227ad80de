import type { Dispatcher } from 'undici';
import type { HttpRequest, HttpResponse } from './types.js';

/**
 * Reading one answer on undici's dispatcher handler interface, bounded in what it keeps (http.ts
 * sends the request, with its timers and aborts).
 */

/** An error answer is only read for its message: the rest is dropped. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

interface Bounds {
  onResponse: () => void;
  maxOk: number;
  tooLarge: () => Error;
}

/**
 * One request on the dispatcher's handler interface: no stream objects per answer, which for
 * thousands of small files is most of what a request makes (docs/performance.md). Resolves with
 * the status, the headers and the body as text, read up to a bound: past `maxOk` a 2xx rejects
 * with `tooLarge()`; an error answer is cut at 64 KiB. Either way the rest is never read (the
 * socket is dropped). Rejects with the signal's reason when it aborts, else undici's error.
 */
export function exchange(
  dispatcher: Dispatcher,
  url: URL,
  method: HttpRequest['method'],
  headers: Record<string, string>,
  body: string | AsyncIterable<Buffer> | undefined,
  signal: AbortSignal,
  bounds: Bounds,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const reader = new AnswerReader(signal, bounds, resolve, reject);
    // The dispatcher takes an async iterable body (Dispatcher.dispatch's docs); its types omit it.
    dispatcher.dispatch(
      { origin: url.origin, path: `${url.pathname}${url.search}`, method, headers, body: body as string | undefined },
      reader,
    );
  });
}

/** Reads one answer as `exchange` says, settling its promise once. */
class AnswerReader implements Dispatcher.DispatchHandler {
  private controller?: Dispatcher.DispatchController;
  private settled = false;
  private status = 0;
  private headers: Record<string, string | undefined> = {};
  private limit = MAX_ERROR_BODY_BYTES;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly onAbort = () => {
    this.controller?.abort(new Error('aborted'));
    this.finish(() => this.reject(this.signal.reason));
  };

  constructor(
    private readonly signal: AbortSignal,
    private readonly bounds: Bounds,
    private readonly resolve: (res: HttpResponse) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.signal.aborted) controller.abort(new Error('aborted'));
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // an informational answer; the real one follows
    this.status = statusCode;
    this.headers = flattenHeaders(headers);
    if (statusCode < 300) this.limit = this.bounds.maxOk;
    this.bounds.onResponse();
  }

  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    if (this.size + chunk.length <= this.limit) {
      this.chunks.push(chunk);
      this.size += chunk.length;
      return;
    }
    if (this.status >= 200 && this.status < 300) {
      const error = this.bounds.tooLarge();
      c.abort(error);
      this.finish(() => this.reject(error));
      return;
    }
    this.chunks.push(chunk.subarray(0, this.limit - this.size));
    this.size = this.limit;
    c.abort(new Error('the rest of an error answer is not read'));
    this.finish(() => this.resolve(this.answer()));
  }

  onResponseEnd(): void {
    this.finish(() => this.resolve(this.answer()));
  }

  onResponseError(_c: Dispatcher.DispatchController, error: Error): void {
    this.finish(() => this.reject(error));
  }

  private answer(): HttpResponse {
    return { status: this.status, headers: this.headers, text: Buffer.concat(this.chunks, this.size).toString('utf8') };
  }

  private finish(settle: () => void): void {
    if (this.settled) return;
    this.settled = true;
    this.signal.removeEventListener('abort', this.onAbort);
    settle();
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(headers)) flat[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}
