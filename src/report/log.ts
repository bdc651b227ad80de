import type { CatalogueReport } from '../catalogue/types.js';
import { fieldLabel } from '../catalogue/labels.js';
import { totalBytes, type LocalFile } from '../workspace/files.js';
import { cut, retentionLine } from './text.js';
import { formatBytes, formatDuration } from '../shared/format.js';
import type { RemoteFile } from '../delivery/types.js';
import type { RunEvent, RunRecord } from './record.js';
import type { GitHubSink } from './sink.js';

/** Big-file progress lines at most this often. */
const PROGRESS_LOG_INTERVAL_MS = 10_000;
/** A dry run's plan lists this many files at most. */
const MAX_PLAN_LINES = 1000;

/**
 * The run's log as the run page shows it: a group per phase, a line per file sent, progress for
 * big files, retries, and a dry run's plan file by file. Writes as the events come.
 */
export class LogWriter {
  private groupOpen = false;
  private lastProgress = new Map<string, number>();

  constructor(
    private readonly sink: GitHubSink,
    private readonly dryRun: boolean,
  ) {}

  private lastCatalogue = '';

  /** After `record` has folded `event`. */
  onEvent(event: RunEvent, record: RunRecord): void {
    switch (event.type) {
      case 'phase':
        this.endGroup();
        this.sink.startGroup(event.title);
        this.groupOpen = true;
        break;
      case 'upload':
        this.sink.log(`Upload ${event.upload.id} (${event.upload.status}) ${event.how}`);
        break;
      case 'deleted':
        this.sink.log(`Deleted upload ${event.upload.id} (was ${event.upload.status})`);
        break;
      case 'plan':
        this.plan(event);
        break;
      case 'pruned':
        this.sink.log(`− ${event.file.remotePath} ${formatBytes(event.file.size)} deleted: no pattern matches it`);
        break;
      case 'file-progress':
        this.progress(event.file, event.bytes);
        break;
      case 'file':
        this.lastProgress.delete(event.file.remotePath);
        if (event.outcome === 'sent') this.sink.log(sentLine(event.file, event.ms, event.attempts));
        else if (event.outcome === 'failed') this.sink.log(`✗ ${event.file.remotePath} after ${event.attempts} attempt(s): ${event.error}`);
        break;
      case 'checks':
        this.sink.log(
          `Status ${record.status}; checks: ${event.checks.map((c) => `${c.name} ${c.status}`).join(', ') || 'none registered yet'}`,
        );
        break;
      case 'retry':
        this.sink.log(`${event.what}: attempt ${event.attempt} failed (${event.reason}); retrying in ${formatDuration(event.delayMs)}`);
        break;
      case 'offline':
        this.sink.log('No credentials: the API was not consulted; the local checks ran, and the plan assumes a new upload');
        break;
      case 'info':
        this.sink.log(event.message);
        break;
      case 'warning':
        this.sink.warning(event.message);
        break;
      case 'notice':
        this.sink.notice(event.message);
        break;
      case 'catalogue':
        this.catalogue(event.report);
        break;
      case 'retention':
        this.sink.log(retentionLine(event.remaining, event.remainingBytes, event.deleted, event.keep));
        break;
      case 'end':
        this.endGroup();
        break;
    }
  }

  /** A line every PROGRESS_LOG_INTERVAL_MS while a big file goes, from its first progress on. */
  private progress(file: LocalFile, bytes: number): void {
    const last = this.lastProgress.get(file.remotePath);
    if (last === undefined) this.lastProgress.set(file.remotePath, Date.now());
    else if (Date.now() - last >= PROGRESS_LOG_INTERVAL_MS) {
      this.lastProgress.set(file.remotePath, Date.now());
      const percent = Math.floor((100 * bytes) / Math.max(1, file.size));
      this.sink.log(`  … ${file.remotePath}: ${formatBytes(bytes)} of ${formatBytes(file.size)} (${percent}%)`);
    }
  }

  /** What the run will do, in a line; in a dry run, file by file. */
  private plan({ toSend, present, extra, prune, create }: Extract<RunEvent, { type: 'plan' }>): void {
    if (create?.replacing.length)
      this.sink.log(`Would delete ${create.replacing.map((u) => `upload ${u.id} (${u.rawStatus})`).join(', ')} (if-exists: replace)`);
    const unmatched = extra.length
      ? `, ${extra.length} in the upload that no pattern matches (${prune ? 'to delete' : 'kept: prune is false'})`
      : '';
    this.sink.log(
      `${toSend.length} file(s) to send (${formatBytes(totalBytes(toSend))}), ${present.length} already there (${formatBytes(totalBytes(present))})${unmatched}`,
    );
    if (this.dryRun) this.planLines(toSend, present, extra, prune);
  }

  /** The dry run's plan, one line a file: `+` to send, `=` already there, `−` to delete. */
  private planLines(toSend: LocalFile[], present: LocalFile[], extra: RemoteFile[], prune: boolean): void {
    const lines = [
      ...toSend.map((f) => `+ ${f.remotePath} ${formatBytes(f.size)}: to send`),
      ...present.map((f) => `= ${f.remotePath} ${formatBytes(f.size)}: already there`),
      ...extra.map(
        (f) =>
          `${prune ? '−' : '!'} ${f.remotePath} ${formatBytes(f.size)}: ${prune ? 'to delete, no pattern matches it' : 'kept (prune: false)'}`,
      ),
    ];
    for (const line of lines.slice(0, MAX_PLAN_LINES)) this.sink.log(line);
    if (lines.length > MAX_PLAN_LINES) this.sink.log(`… and ${lines.length - MAX_PLAN_LINES} more`);
  }

  /** The record's verdict and its changes, field by field, once per verdict (the event comes as the record moves on). */
  private catalogue(report: CatalogueReport): void {
    // A real run says what it did, once done; the plan it starts from is a dry run's to say.
    if (!this.dryRun && report.verdict.startsWith('would')) return;
    const line = `Metadata record ${report.fileIdentifier}: ${report.verdict}${report.published ? ', published' : ''}`;
    if (line === this.lastCatalogue) return;
    this.lastCatalogue = line;
    this.sink.log(line);
    for (const change of report.changes)
      this.sink.log(`  ${fieldLabel(change.field)}: ${shorten(change.before) || '(none)'} → ${shorten(change.after) || '(none)'}`);
  }

  private endGroup(): void {
    if (this.groupOpen) this.sink.endGroup();
    this.groupOpen = false;
  }
}

/** A field's value in one line of the log. */
function shorten(value: string): string {
  return cut(value.replace(/\s+/g, ' ').trim(), 120);
}

/** `✓ data/a.tif 4.0 GB in 40.0 s (100.0 MB/s), 2 attempts` */
function sentLine(file: LocalFile, ms: number, attempts: number): string {
  const seconds = Math.max(ms, 1) / 1000;
  const tries = attempts > 1 ? `, ${attempts} attempts` : '';
  return `✓ ${file.remotePath} ${formatBytes(file.size)} in ${seconds.toFixed(1)} s (${formatBytes(file.size / seconds)}/s)${tries}`;
}
