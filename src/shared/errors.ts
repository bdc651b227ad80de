/**
 * Typed errors that carry what the user needs. Every `ActionError` is something the user can act
 * on: `main` turns it into one `::error::` line from `message`, so each message is a single line
 * that says what went wrong and what to do. Any other error is a bug in the action, reported as
 * such (with its stack in the log).
 */
export class ActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class InputError extends ActionError {
  constructor(
    readonly input: string,
    problem: string,
  ) {
    super(`Input '${input}': ${problem}`);
  }
}

/** Why a local file is refused before anything is sent. */
export type FileProblemKind =
  'unsupported' | 'empty' | 'name-clash' | 'world-file' | 'srs' | 'no-georeferencing' | 'unreadable' | 'outside-workspace';

/** One problem, and the files it concerns (two for a clash of base names), as the repository names them. */
export interface FileProblem {
  kind: FileProblemKind;
  paths: string[];
  problem: string;
}

/** Local files that the platform would refuse; found before anything is sent. */
export class FileError extends ActionError {
  constructor(
    readonly problems: FileProblem[],
    summary: string,
  ) {
    super(summary);
  }
}

/** The files to send do not fit in the datastore's upload space. */
export class QuotaError extends ActionError {
  constructor(
    readonly neededBytes: number,
    readonly freeBytes: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A raster's header or a world file is not what its format says (a truncated TIFF, a world file
 * that is not six numbers): the user's file, said without quoting what it holds.
 */
export class FormatError extends ActionError {}

/** A local file could not be read, or changed while it was sent: not the network's fault. */
export class LocalFileError extends ActionError {
  constructor(
    readonly localPath: string,
    readonly problem: string,
  ) {
    super(`${localPath} ${problem}`);
  }
}

/** How a request error says itself, given the attempts made. */
type Describe = (attempts: number) => string;

const triesSuffix = (attempts: number, form: 'after' | 'paren') =>
  attempts <= 1 ? '' : form === 'after' ? ` after ${attempts} attempts` : ` (${attempts} attempts)`;

/**
 * A request that failed: what was asked (`method`, `path`), why (`reason`) and how many attempts
 * were made. The retry layer annotates the attempts (as smithy's `$metadata.attempts` does) rather
 * than make a new error, so the stack and the cause stay those of the failure itself.
 */
export abstract class RequestError extends ActionError {
  private tries = 1;

  protected constructor(
    readonly method: string,
    readonly path: string,
    /** What went wrong, without the request line. */
    readonly reason: string,
    private readonly describe: Describe,
  ) {
    super(describe(1));
  }

  get attempts(): number {
    return this.tries;
  }

  /** Says that `attempts` attempts were made, the last of which failed so. */
  withAttempts(attempts: number): this {
    this.tries = attempts;
    this.message = this.describe(attempts);
    return this;
  }
}

/** The API answered with an error status that retrying will not fix (or retries ran out). */
export class ApiError extends RequestError {
  constructor(
    readonly status: number,
    method: string,
    path: string,
    /** The server's `error_description` lines, or a short excerpt of a non-JSON body. */
    readonly details: string[],
    /** What the user can do about this status (a right to ask for, a size to reduce). */
    readonly hint?: string,
    /** Milliseconds the server asked to wait (`Retry-After`), if it said. */
    readonly retryAfterMs?: number,
  ) {
    const detail = details.length > 0 ? `: ${details.join('; ')}` : '';
    const advice = hint ? `. ${hint}` : '';
    super(
      method,
      path,
      `HTTP ${status}${detail}${advice}`,
      (n) => `${method} ${path} failed with HTTP ${status}${triesSuffix(n, 'after')}${detail}${advice}`,
    );
  }
}

/** The request never got an HTTP answer (reset, refused, timed out, stalled). */
export class NetworkError extends RequestError {
  constructor(
    method: string,
    path: string,
    reason: string,
    /** Nothing ever answered at that address this run, and nothing listens there: not worth a retry. */
    readonly unreachable = false,
  ) {
    super(method, path, reason, (n) => `${method} ${path} failed${triesSuffix(n, 'after')}: ${reason}`);
  }
}

/**
 * A 2xx answer that is not what the API returns (an HTML page, an empty or truncated body, one
 * too large to read): never read as "nothing there".
 */
export class BadResponseError extends RequestError {
  constructor(method: string, path: string, reason: string) {
    super(method, path, reason, (n) => `${method} ${path}: ${reason}${triesSuffix(n, 'paren')}`);
  }
}

/** The account may not do what the run needs (a right is missing). */
export class AccessError extends ActionError {}

/** The token endpoint refused to issue a token, or could not be reached. */
export class AuthError extends ActionError {}

/** A file could not be sent; names the file and the attempts made. */
export class FileUploadError extends ActionError {
  constructor(
    readonly remotePath: string,
    readonly attempts: number,
    readonly cause: Error,
  ) {
    super(`Could not send ${remotePath} after ${attempts} attempt${attempts > 1 ? 's' : ''}: ${reasonOf(cause)}`);
  }
}

/** The remote tree does not hold every file with its size: the upload is not closed. */
export class RemoteTreeError extends ActionError {
  constructor(
    readonly missing: string[],
    readonly wrongSize: string[],
  ) {
    const parts = [];
    if (missing.length) parts.push(`missing ${list(missing)}`);
    if (wrongSize.length) parts.push(`wrong size ${list(wrongSize)}`);
    super(`The upload's file tree is incomplete (${parts.join('; ')}); the upload was left OPEN: re-run to resume`);
  }
}

/** The upload is in a state this run cannot work with (e.g. CLOSED with `upload-id`). */
export class UploadStateError extends ActionError {}

/**
 * The layer's parts are not what the run can work with: the processing, the endpoints, a pyramid,
 * a configuration or an offering (docs/api.md, "Layers").
 */
export class LayerStateError extends ActionError {}

export class ChecksFailedError extends ActionError {
  /** The message without its pointer to the summary, for the summary itself. */
  readonly brief: string;

  constructor(
    readonly failed: string[],
    firstError?: string,
  ) {
    const brief =
      `Check${failed.length > 1 ? 's' : ''} failed: ${failed.join(', ')}; the upload is UNSTABLE` + (firstError ? ` (${firstError})` : '');
    super(`${brief}. See the job summary for the error lines`);
    this.brief = brief;
  }
}

/** The pyramid could not be built: the execution failed; its ERROR log lines say why. */
export class PyramidFailedError extends ActionError {
  /** The message without its pointer to the summary, for the summary itself. */
  readonly brief: string;

  constructor(
    readonly executionId: string,
    readonly errorLines: string[],
    status: string,
    /** Whether a layer is live (left as it was), or none was published yet. */
    live: boolean,
    /** Whether a re-run builds it again (after a first failure) or not (the second). */
    retried: boolean,
  ) {
    const layer = live ? 'the live layer was left as it was' : 'no layer was published';
    const next = retried
      ? 'it failed twice from this upload: fix the data, then merge again'
      : 'the CLOSED upload is kept: a re-run builds the pyramid from it once more';
    const brief = `The pyramid was not built (execution ${executionId} ${status})${errorLines.length ? `: ${errorLines[0]}` : ''}; ${layer}; ${next}`;
    super(`${brief}. See the job summary for the error lines`);
    this.brief = brief;
  }
}

/**
 * A git call that failed: `missing` (no git on the runner), `failed` (git said why, in `reason`), or
 * `timeout`. Its arguments are named by the command alone: values stay out of it. A cancelled call
 * throws the cancel itself.
 */
export class GitError extends ActionError {
  constructor(
    readonly args: readonly string[],
    readonly kind: 'missing' | 'failed' | 'timeout',
    readonly reason: string,
  ) {
    super(`git ${args.slice(0, 2).join(' ')}: ${reason}`);
  }
}

/** A deadline (`checks-timeout`) ran out, even in the middle of a request. */
export class TimeoutError extends ActionError {}

export class CancelledError extends ActionError {
  constructor(message = 'Cancelled') {
    super(message);
  }
}

/** `a, b, c and 12 more`: keeps one-line messages short whatever the count. */
export function list(items: string[], max = 5): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

/** What went wrong, without the request line: `HTTP 500: <the API's words>. <hint>`, or the reason. */
export function reasonOf(error: unknown): string {
  if (error instanceof RequestError) return error.reason;
  return error instanceof Error ? error.message : String(error);
}

/** Escapes control characters (CR, LF, tab…) so that a name shows on one line, as `\n` and so on. */
export function escapeControl(text: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** An error from the operating system (a file that cannot be opened, a refused read): `ENOENT`, `EACCES`… */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  if (!(error instanceof Error) || !('code' in error)) return false;
  return typeof error.code === 'string' && /^E[A-Z]+$/.test(error.code);
}

/** An error's own words, whatever was thrown. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
