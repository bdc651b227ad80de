/**
 * Typed errors that carry what the user needs. `main` turns any of them into one `::error::` line
 * from `message`, so every message is a single line that says what went wrong and what to do.
 */

export class InputError extends Error {
  constructor(
    readonly input: string,
    problem: string,
  ) {
    super(`Input '${input}': ${problem}`);
    this.name = 'InputError';
  }
}

export interface FileProblem {
  path: string;
  problem: string;
}

/** Local files that the platform would refuse; found before anything is sent. */
export class FileError extends Error {
  constructor(
    readonly problems: FileProblem[],
    summary: string,
  ) {
    super(summary);
    this.name = 'FileError';
  }
}

/** The API answered with an error status that retrying will not fix (or retries ran out). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    /** The server's `error_description` lines, or a short excerpt of a non-JSON body. */
    readonly details: string[],
    readonly attempts = 1,
    hint?: string,
  ) {
    const detail = details.length > 0 ? `: ${details.join('; ')}` : '';
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    super(`${method} ${path} failed with HTTP ${status}${tries}${detail}${hint ? `. ${hint}` : ''}`);
    this.name = 'ApiError';
  }
}

/** The request never got an HTTP answer (reset, refused, timed out, stalled). */
export class NetworkError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly reason: string,
    readonly attempts = 1,
  ) {
    super(`${method} ${path} failed${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${reason}`);
    this.name = 'NetworkError';
  }
}

/** The account may not do what the run needs (a right is missing). */
export class AccessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccessError';
  }
}

/** The token endpoint refused to issue a token. */
export class AuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthError';
  }
}

/** A file could not be sent; names the file and the attempts made. */
export class FileUploadError extends Error {
  constructor(
    readonly remotePath: string,
    readonly attempts: number,
    readonly cause: Error,
  ) {
    super(`Could not send ${remotePath} after ${attempts} attempt${attempts > 1 ? 's' : ''}: ${reasonOf(cause)}`);
    this.name = 'FileUploadError';
  }
}

/** The remote tree does not hold every file with its size: the upload is not closed. */
export class RemoteTreeError extends Error {
  constructor(
    readonly missing: string[],
    readonly wrongSize: string[],
  ) {
    const parts = [];
    if (missing.length) parts.push(`missing ${list(missing)}`);
    if (wrongSize.length) parts.push(`wrong size ${list(wrongSize)}`);
    super(`The upload's file tree is incomplete (${parts.join('; ')}); the upload was left OPEN: re-run to resume`);
    this.name = 'RemoteTreeError';
  }
}

/** The upload is in a state this run cannot work with (e.g. CLOSED with `upload-id`). */
export class UploadStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UploadStateError';
  }
}

export class ChecksFailedError extends Error {
  constructor(
    readonly failed: string[],
    firstError?: string,
  ) {
    super(
      `Check${failed.length > 1 ? 's' : ''} failed: ${failed.join(', ')}; the upload is UNSTABLE` +
        (firstError ? ` (${firstError})` : '') +
        '. See the job summary for the error lines',
    );
    this.name = 'ChecksFailedError';
  }
}

export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

export class CancelledError extends Error {
  constructor(message = 'Cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

/** `a, b, c and 12 more`: keeps one-line messages short whatever the count. */
export function list(items: string[], max = 5): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

/** What went wrong, without the request line: `HTTP 500: <the API's words>`, or the network reason. */
export function reasonOf(error: unknown): string {
  if (error instanceof ApiError) return `HTTP ${error.status}${error.details.length ? `: ${error.details.join('; ')}` : ''}`;
  if (error instanceof NetworkError) return error.reason;
  return error instanceof Error ? error.message : String(error);
}
