import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ListMode, PagingVariant } from './lists.js';
import type { EmulatorOptions } from './options.js';
import type { Store, UploadRecord } from './store.js';

/**
 * What the emulator's modules share, declared apart from the server that implements it, so that
 * the route modules and the server import it and not each other.
 */

/**
 * Faults the emulator can inject, matched per request. Each rule fires on the requests it matches,
 * `times` times at most (default: forever), optionally with a probability.
 */
export type FaultKind =
  /** Answer this status without processing (the body is read first; `echoRequest` quotes it in the error). */
  | { status: number; retryAfterSeconds?: number; body?: string; contentType?: string; location?: string; echoRequest?: boolean }
  /** Stop reading the request body and never answer: the client must notice the stall. */
  | { stall: true }
  /** Destroy the socket before answering. */
  | { reset: true }
  /** Read half of the request body, store what arrived (a partial file), then destroy the socket. */
  | { resetMidBody: true }
  /**
   * Process the request fully (the upload made, the file stored, the upload closed…), then lose the
   * answer: this status instead (a 5xx as a gateway's HTML page), or `reset` to drop the connection.
   */
  | { storeThen: number | 'reset' }
  /** Answer 200 with a body that never ends (written as fast as the client reads). */
  | { endlessBody: true }
  /** Answer 200 with the start of a body, then nothing more. */
  | { hangBody: true }
  /** Wait before processing. */
  | { delayMs: number }
  /** Process the request in full, then wait this long before answering (an S3 copy behind a big POST). */
  | { slowAnswerMs: number };

/** One request as a route handler sees it: the route's captured ids, the query, and its fault. */
export interface Context {
  req: IncomingMessage;
  res: ServerResponse;
  params: string[];
  query: URLSearchParams;
  fault?: FaultKind;
}

/** What the route modules share: the state, the options, how to answer, timed work. */
export interface Core {
  readonly store: Store;
  readonly options: EmulatorOptions;
  readonly listing: { mode: ListMode } & PagingVariant;
  /** Set by stop(): work still under way then is dropped quietly. */
  readonly stopped: boolean;
  json(c: Pick<Context, 'res'> & { fault?: FaultKind; req?: IncomingMessage }, status: number, body: unknown): void;
  later(ms: number, task: () => void | Promise<void>): void;
  upload(c: Context): UploadRecord;
}
