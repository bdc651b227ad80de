/**
 * One reading of the API's statuses and logs (docs/api.md, "Upload statuses", "Checks", "Layers"):
 * the statuses each entity documents, which of them are busy, final or failed, and how a log's
 * pages become lines and its ERROR lines are picked. A status the API adds later reads UNKNOWN,
 * which is never final and never used.
 */

export const UPLOAD_STATUSES = ['CREATED', 'OPEN', 'CLOSED', 'CHECKING', 'GENERATING', 'MODIFYING', 'UNSTABLE', 'DELETED'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number] | 'UNKNOWN';
/** The statuses the checks end in. */
export const FINAL_UPLOAD_STATUSES: ReadonlySet<UploadStatus> = new Set(['CLOSED', 'UNSTABLE']);
/** Uploads in these states are being worked on by the platform (processings): neither used nor replaced. */
export const BUSY_UPLOAD_STATUSES: ReadonlySet<UploadStatus> = new Set(['CREATED', 'GENERATING', 'MODIFYING', 'CHECKING']);

/** A check execution's status; ABORTED (callbacks mention it, the enum does not) reads FAILURE. */
export type CheckStatus = 'WAITING' | 'PROGRESS' | 'SUCCESS' | 'FAILURE';
export const RUNNING_CHECK_STATUSES: ReadonlySet<CheckStatus> = new Set(['WAITING', 'PROGRESS']);

export const EXECUTION_STATUSES = ['CREATED', 'WAITING', 'PROGRESS', 'SUCCESS', 'FAILURE', 'ABORTED'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number] | 'UNKNOWN';
export const FAILED_EXECUTION_STATUSES: ReadonlySet<ExecutionStatus> = new Set(['FAILURE', 'ABORTED']);

export const STORED_DATA_STATUSES = ['CREATED', 'GENERATING', 'MODIFYING', 'GENERATED', 'DELETED', 'UNSTABLE'] as const;
export type StoredDataStatus = (typeof STORED_DATA_STATUSES)[number] | 'UNKNOWN';

export const CONFIGURATION_STATUSES = ['UNPUBLISHED', 'PUBLISHED', 'SYNCHRONIZING'] as const;
export type ConfigurationStatus = (typeof CONFIGURATION_STATUSES)[number] | 'UNKNOWN';

export const OFFERING_STATUSES = ['PUBLISHING', 'MODIFYING', 'PUBLISHED', 'UNPUBLISHING', 'UNSTABLE'] as const;
export type OfferingStatus = (typeof OFFERING_STATUSES)[number] | 'UNKNOWN';

/** `value` as one of `known` (upper-cased, as servers vary), or UNKNOWN. */
export function statusOf<T extends string>(value: unknown, known: readonly T[]): T | 'UNKNOWN' {
  const status = typeof value === 'string' ? value.toUpperCase() : '';
  return (known as readonly string[]).includes(status) ? (status as T) : 'UNKNOWN';
}

export function checkStatusOf(value: unknown): CheckStatus {
  const status = String(value).toUpperCase();
  if (status === 'SUCCESS' || status === 'FAILURE' || status === 'PROGRESS') return status;
  if (status === 'ABORTED') return 'FAILURE';
  return 'WAITING';
}

export function failed<T extends { status: CheckStatus }>(checks: readonly T[]): T[] {
  return checks.filter((c) => c.status === 'FAILURE');
}

/**
 * A log's pages as lines. Logs are a JSON array of strings; some servers answer one string for
 * the whole log, or `""` and `"[]"` for none (the SDK's reading).
 */
export function logLines(pages: unknown[]): string[] {
  return pages
    .flatMap((item) => (typeof item === 'string' ? item.split('\n') : [JSON.stringify(item)]))
    .filter((line) => line !== '' && line !== '[]');
}

/** Lines kept when a log has no ERROR line: its tail says most. */
const TAIL_LINES = 20;

/** What a failed check's or execution's log says went wrong: its ERROR lines, or else its tail. */
export function errorLinesOf(lines: string[]): string[] {
  const errors = lines.filter((line) => /ERROR/.test(line));
  return errors.length ? errors : lines.slice(-TAIL_LINES);
}

/**
 * A platform log line, `2026-07-02 06:05:20,394ERROR||cli||237||message`, as its time and message;
 * a line of another shape is all message.
 */
export function splitLogLine(line: string): { time?: string; message: string } {
  const match = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:,\d+)?\s*(?:ERROR|WARNING|INFO|DEBUG)\|\|[^|]*\|\|[^|]*\|\|(.*)$/.exec(line);
  return match ? { time: match[1], message: match[2] } : { message: line };
}
