import { ActionError, CancelledError } from '../shared/errors.js';
import { formatBytes } from '../shared/format.js';

/** The report's words and escaping, shared by its renderers (log, summary, comment) and the sink. */

/** What ended the run, in one line: an ActionError's own words, a cancel, or a bug to report. */
export function messageOf(error: unknown, uploadId?: string, status?: string): string {
  if (error instanceof CancelledError)
    return `Cancelled${uploadId ? `: upload ${uploadId} was left ${status ?? 'OPEN'}; re-run the job to resume it` : ' before any upload was made'}`;
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
  if (error instanceof ActionError) return message;
  return `Unexpected error: ${message}. This is a bug in the action, not in your inputs: please report it with this log${uploadId ? ` (upload ${uploadId} was left ${status ?? 'as it was'})` : ''}`;
}

/**
 * Escapes text from outside (file names, server messages) for the summary. The summary is made of
 * HTML blocks with no blank line inside, which Markdown passes through untouched, so HTML escaping
 * is enough; `|` is escaped too, for a reader who pastes a row into a Markdown table.
 */
export function esc(text: string): string {
  return text.replace(/[&<>"'|]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `text` in at most `max` characters, an ellipsis ending what was cut. */
export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What is left of the earlier uploads of the name, as the log and the summary say it. */
export function retentionLine(remaining: number, bytes: number, deleted: string[], keep: number | 'all'): string {
  const gone = deleted.length ? `; deleted ${deleted.length} older one${deleted.length > 1 ? 's' : ''} (retain-uploads: ${keep})` : '';
  const hint = keep === 'all' && remaining ? '; retain-uploads: N keeps only the newest N' : '';
  return `${remaining} earlier CLOSED upload${remaining === 1 ? '' : 's'} of this name from this repository remain${remaining === 1 ? 's' : ''} (${formatBytes(bytes)})${gone}${hint}`;
}
