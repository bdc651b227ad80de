import * as core from '@actions/core';
import { ActionError, CancelledError, ChecksFailedError, FileError, PyramidFailedError } from './errors.js';
import type { LayerEvent, LayerReport } from './layer.js';
import { totalBytes, type LocalFile } from './files.js';
import type { CheckReport, FileOutcome, PublishEvent, PublishResult, RemoteFile } from './publish.js';
import type { CheckExecution, UploadStatus } from './entrepot/types.js';
import { failed, splitLogLine } from './entrepot/status.js';
import { formatBytes } from './format.js';
import type { CommentRecord } from './comment.js';
import path from 'node:path';

/** Big-file progress lines at most this often. */
const PROGRESS_LOG_INTERVAL_MS = 10_000;
/** The `uploaded` output is rewritten at most this often while files go (and always at the end). */
const UPLOADED_OUTPUT_INTERVAL_MS = 1000;
/** GitHub keeps 1 MiB of summary per step; these caps keep ours well under it. */
const MAX_FILE_ROWS = 1000;
const MAX_ERROR_LINES_PER_CHECK = 200;
const MAX_LINE_CHARS = 500;
/** GitHub shows at most 10 error annotations per step; a few lines each is enough. */
const ANNOTATION_LINES = 5;
const ANNOTATION_LIMIT = 10;
const MIN_SCRUBBED_LENGTH = 4;

interface FileRow {
  file: LocalFile;
  outcome: FileOutcome | 'pending';
  attempts: number;
  error?: string;
}

export interface RunContext {
  name: string;
  srs: string;
  datastore: string;
  /** A dry run prints its plan in the log, file by file. */
  dryRun?: boolean;
  /** Files are named from here in the pull-request comment. */
  workspace?: string;
}

/**
 * The only module that writes step outputs, the job summary, annotations and the log. It builds
 * its view from publish's events, so a failed or cancelled run still reports all that happened.
 */
export class Reporter {
  private id?: string;
  private status?: UploadStatus;
  /** Files in a resumed upload that no pattern matches, and whether they are (to be) deleted. */
  private extra: { files: RemoteFile[]; prune: boolean; deleted: Set<string> } = { files: [], prune: true, deleted: new Set() };
  private willCreate = false;
  /** The layer chain's report, once it has one. */
  private layer?: LayerReport;
  /** For the pull-request comment: warnings given, where each raster lies, what ended the run. */
  private warnings: string[] = [];
  private places = new Map<string, { epsg?: number; ring?: Array<[number, number]> }>();
  private apiConsulted = true;
  private ending?: unknown;
  /** Uploads a dry run with `if-exists: replace` would delete. */
  private replacing: string[] = [];
  private rows = new Map<string, FileRow>();
  private checks: CheckExecution[] = [];
  private uploaded = 0;
  private groupOpen = false;
  private lastProgress = new Map<string, number>();
  private finished = false;
  private uploadedWrittenAt = 0;
  private retries = 0;

  /** Every shape of every secret (raw, form-encoded…) and the tokens obtained. */
  private readonly secrets: string[];

  constructor(
    private readonly context: RunContext,
    secrets: string[] = [],
  ) {
    this.secrets = [...secrets];
  }

  /** A value that must never show: the runner masks it in the log, and the summary is scrubbed here. */
  secret(value: string): void {
    core.setSecret(value);
    this.secrets.push(value);
  }

  /**
   * Text from outside (a token endpoint's error echoing the form it got) may hold a secret in any
   * shape: the runner masks the log, but the summary, the annotations and the outputs are ours.
   */
  private redact(text: string): string {
    let out = text;
    // Too short a value would blank out ordinary words; the runner still masks it in the log.
    for (const secret of this.secrets)
      if (secret.length >= MIN_SCRUBBED_LENGTH) out = out.split(secret).join('***').split(esc(secret)).join('***');
    return out;
  }

  /** The upload the run used, once known. */
  get uploadId(): string | undefined {
    return this.id;
  }

  /** Matched files are known: `files` and `bytes` outputs right away. */
  files(files: LocalFile[]): void {
    for (const file of files) this.rows.set(file.remotePath, { file, outcome: 'pending', attempts: 0 });
    core.setOutput('files', files.length);
    core.setOutput('bytes', totalBytes(files));
  }

  warning(message: string): void {
    this.warnings.push(this.redact(message));
    core.warning(this.redact(message));
  }

  /** Where a raster lies: its EPSG and WGS84 outline (when its CRS is known), for the map. */
  place(file: LocalFile, epsg?: number, ring?: Array<[number, number]>): void {
    this.places.set(file.remotePath, { epsg, ring });
  }

  /** A dry run without credentials: nothing was read from the API. */
  offline(): void {
    this.apiConsulted = false;
    this.log('No credentials: the API was not consulted; the local checks ran, and the plan assumes a new upload');
  }

  /** The run as the pull-request comment tells it. */
  commentRecord(): CommentRecord {
    const workspace = this.context.workspace ?? process.cwd();
    const refused = new Map<string, string>();
    if (this.ending instanceof FileError)
      for (const p of this.ending.problems) for (const one of p.path.split(' and ')) refused.set(one, p.problem);
    const files = [...this.rows.values()].map(({ file, outcome }) => {
      const shown = path.relative(workspace, file.localPath).split(path.sep).join('/');
      const place = this.places.get(file.remotePath);
      const problem = refused.get(shown);
      return {
        path: shown,
        remotePath: file.remotePath,
        size: file.size,
        epsg: place?.epsg,
        ring: place?.ring,
        problem,
        outcome: problem !== undefined ? ('refused' as const) : outcome === 'present' ? ('already there' as const) : ('to send' as const),
      };
    });
    const ending = this.ending;
    const layer = this.layer;
    return {
      name: this.context.name,
      srs: this.context.srs,
      apiConsulted: this.apiConsulted,
      upload: this.id
        ? `${this.id} (${this.status}), to be resumed`
        : this.apiConsulted
          ? 'to be created'
          : 'to be created (unless one of that name is OPEN)',
      verdict: ending ? { ok: false, message: this.redact(messageOf(ending, this.id, this.status)) } : { ok: true },
      warnings: this.warnings,
      files,
      layer: layer
        ? `${layer.layer} ${layer.action} (${
            layer.services.map((s) => s.type).join(', ') ||
            Object.entries(layer.parameters)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')
          })`
        : undefined,
      currentExtent: layer?.currentExtent,
    };
  }

  notice(message: string): void {
    core.notice(this.redact(message));
  }

  /**
   * A log line. Text from outside (file names, server messages) may hold a newline, and a line
   * that starts with `::` is a workflow command to the runner: every line is made one line.
   */
  log(text: string): void {
    core.info(this.redact(text).replace(/[\r\n]+/g, ' ⏎ '));
  }

  /** A request or a file that is tried again: a log line, and one warning at the end for all. */
  retried(what: string, attempt: number, reason: string, delayMs: number): void {
    this.retries++;
    this.log(`${what}: attempt ${attempt} failed (${reason}); retrying in ${(delayMs / 1000).toFixed(1)} s`);
  }

  readonly onEvent = (event: PublishEvent | LayerEvent): void => {
    switch (event.type) {
      case 'stored-data':
        core.setOutput('stored-data-id', event.storedData.id);
        break;
      case 'layer':
        this.layer = event.report;
        if (event.report.services.length) {
          core.setOutput('layer-urls', JSON.stringify(event.report.urls));
          core.setOutput(
            'offerings',
            JSON.stringify(
              event.report.services.flatMap((s) =>
                s.offering
                  ? [
                      {
                        id: s.offering.id,
                        configuration: s.configurationId,
                        type: s.type,
                        status: s.offering.status,
                        urls: s.offering.urls,
                      },
                    ]
                  : [],
              ),
            ),
          );
        }
        break;
      case 'phase':
        this.endGroup();
        core.startGroup(event.title);
        this.groupOpen = true;
        break;
      case 'upload':
        this.id = event.upload.id;
        this.willCreate = false;
        this.setStatus(event.upload.status);
        core.setOutput('upload-id', event.upload.id);
        this.log(`Upload ${event.upload.id} (${event.upload.status}) ${event.how}`);
        break;
      case 'deleted':
        this.log(`Deleted upload ${event.upload.id} (was ${event.upload.status})`);
        break;
      case 'plan':
        this.willCreate = event.create !== undefined;
        this.replacing = (event.create?.replacing ?? []).map((u) => `${u.id} (${u.rawStatus})`);
        if (event.create?.replacing.length)
          this.log(`Would delete ${event.create.replacing.map((u) => `upload ${u.id} (${u.rawStatus})`).join(', ')} (if-exists: replace)`);
        this.log(
          `${event.toSend.length} file(s) to send (${formatBytes(totalBytes(event.toSend))}), ${event.present.length} already there (${formatBytes(totalBytes(event.present))})` +
            (event.extra.length
              ? `, ${event.extra.length} in the upload that no pattern matches (${event.prune ? 'to delete' : 'kept: prune is false'})`
              : ''),
        );
        this.extra = { files: event.extra, prune: event.prune, deleted: new Set() };
        if (this.context.dryRun) this.logPlan(event.toSend, event.present, event.extra, event.prune);
        break;
      case 'pruned':
        this.extra.deleted.add(event.file.remotePath);
        this.log(`− ${event.file.remotePath} ${formatBytes(event.file.size)} deleted: no pattern matches it`);
        break;
      case 'file-progress': {
        const last = this.lastProgress.get(event.file.remotePath) ?? Date.now();
        if (!this.lastProgress.has(event.file.remotePath)) this.lastProgress.set(event.file.remotePath, last);
        else if (Date.now() - last >= PROGRESS_LOG_INTERVAL_MS) {
          this.lastProgress.set(event.file.remotePath, Date.now());
          this.log(
            `  … ${event.file.remotePath}: ${formatBytes(event.bytes)} of ${formatBytes(event.file.size)} (${Math.floor((100 * event.bytes) / Math.max(1, event.file.size))}%)`,
          );
        }
        break;
      }
      case 'file': {
        this.rows.set(event.file.remotePath, { file: event.file, outcome: event.outcome, attempts: event.attempts, error: event.error });
        this.lastProgress.delete(event.file.remotePath);
        if (event.outcome === 'sent') {
          this.uploaded++;
          if (Date.now() - this.uploadedWrittenAt >= UPLOADED_OUTPUT_INTERVAL_MS) {
            // Each write appends to GITHUB_OUTPUT: once per file costs more than the file itself.
            this.uploadedWrittenAt = Date.now();
            core.setOutput('uploaded', this.uploaded);
          }
          const seconds = Math.max(event.ms, 1) / 1000;
          this.log(
            `✓ ${event.file.remotePath} ${formatBytes(event.file.size)} in ${seconds.toFixed(1)} s (${formatBytes(event.file.size / seconds)}/s)${event.attempts > 1 ? `, ${event.attempts} attempts` : ''}`,
          );
        } else if (event.outcome === 'failed') {
          this.log(`✗ ${event.file.remotePath} after ${event.attempts} attempt(s): ${event.error}`);
        }
        break;
      }
      case 'status':
        this.setStatus(event.status);
        break;
      case 'checks':
        this.checks = event.checks;
        this.writeCheckOutputs(event.checks);
        this.log(`Status ${this.status}; checks: ${event.checks.map((c) => `${c.name} ${c.status}`).join(', ') || 'none registered yet'}`);
        break;
      case 'info':
        this.log(event.message);
        break;
      case 'warning':
        this.warning(event.message);
        break;
    }
  };

  /** Writes the final outputs, the summary and the annotations; then fails the step if `error`. */
  async finish(result: PublishResult | undefined, error?: unknown): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.ending = error;
    this.endGroup();
    core.setOutput('uploaded', this.uploaded);
    if (result) {
      if (result.status) this.setStatus(result.status);
      if (result.checks.length) this.checks = result.checks;
    }
    if (this.checks.length || result?.checks) this.writeCheckOutputs(this.checks);
    // A refused file gets its own annotation on the file (GitHub shows the first 10).
    if (error instanceof FileError)
      for (const problem of error.problems.slice(0, ANNOTATION_LIMIT))
        core.warning(this.redact(problem.problem), { file: problem.path.split(' and ')[0], title: 'Refused before sending' });
    if (error instanceof PyramidFailedError)
      core.error(
        this.redact(error.errorLines.slice(0, ANNOTATION_LINES).map(shortLine).join('\n')) || 'failed without ERROR lines in its log',
        {
          title: `Pyramid failed: execution ${error.executionId}`,
        },
      );
    const failedChecks = failed(result?.checks ?? []);
    for (const check of failedChecks) {
      const lines = check.errorLines.slice(0, ANNOTATION_LINES).map(shortLine);
      core.error(this.redact(lines.join('\n')) || 'failed without ERROR lines in its log', { title: `Check failed: ${check.name}` });
    }
    if (this.retries > 0)
      core.warning(
        `${this.retries} attempt(s) failed on transient errors and were retried (see the log); the network or the API was unsteady`,
      );
    if (this.id && !result?.dryRun)
      core.notice(
        this.layer?.uploadDeleted
          ? `Upload ${this.id} was ${this.status}, then deleted: layer ${this.layer.layer} is served from its pyramid ${this.layer.storedData?.id}`
          : `Upload ${this.id} is ${this.status}`,
        { title: 'Géoplateforme upload' },
      );
    // A bug, not a user's mistake: its stack helps whoever fixes it.
    if (error && !(error instanceof ActionError) && error instanceof Error && error.stack) this.log(error.stack);

    try {
      await core.summary.addRaw(this.redact(this.summary(result, error)), true).write();
    } catch (summaryError) {
      core.warning(`Could not write the job summary: ${(summaryError as Error).message}`);
    }
    if (error) core.setFailed(this.redact(messageOf(error, this.id, this.status)));
  }

  /** The layer: name, what was done, services and URLs, the pyramid, and a preview for a public layer. */
  private layerSection(report: LayerReport): string {
    const sd = report.storedData;
    const rows: string[][] = [
      ['Layer', code(report.layer)],
      ['Action', esc(report.action)],
      [
        'Pyramid',
        esc(
          Object.entries(report.parameters)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
        ),
      ],
    ];
    if (sd) {
      const levels = sd.levels.map(Number).filter(Number.isFinite);
      rows.push(['Stored data', `${code(sd.id)} ${esc(sd.status)}`]);
      if (levels.length) rows.push(['Levels', esc(`${Math.min(...levels)} to ${Math.max(...levels)} (${sd.tms ?? ''})`)]);
      if (sd.size !== undefined) rows.push(['Size', formatBytes(sd.size)]);
    }
    for (const service of report.services)
      rows.push([
        esc(service.type),
        service.offering
          ? service.offering.urls.map((u) => `${esc(u.type)}: ${code(u.url)}`).join('<br>') || esc(service.offering.status)
          : '–',
      ]);
    if (report.deletedPyramids.length) rows.push(['Previous pyramid', esc(`deleted: ${report.deletedPyramids.join(', ')}`)]);
    if (report.uploadDeleted) rows.push(['Upload', 'deleted (the pyramid holds the data)']);
    const preview = report.preview
      ? `\n<p><img src="${esc(report.preview)}" alt="Preview of layer ${esc(report.layer)}" width="512"></p>`
      : '';
    return `<h3>Layer ${esc(report.layer)}</h3>\n${table([], rows)}${preview}`;
  }

  /** The dry run's plan, one line a file: `+` to send, `=` already there, `−` to delete. */
  private logPlan(toSend: LocalFile[], present: LocalFile[], extra: RemoteFile[], prune: boolean): void {
    const lines = [
      ...toSend.map((f) => `+ ${f.remotePath} ${formatBytes(f.size)}: to send`),
      ...present.map((f) => `= ${f.remotePath} ${formatBytes(f.size)}: already there`),
      ...extra.map(
        (f) =>
          `${prune ? '−' : '!'} ${f.remotePath} ${formatBytes(f.size)}: ${prune ? 'to delete, no pattern matches it' : 'kept (prune: false)'}`,
      ),
    ];
    for (const line of lines.slice(0, MAX_FILE_ROWS)) this.log(line);
    if (lines.length > MAX_FILE_ROWS) this.log(`… and ${lines.length - MAX_FILE_ROWS} more`);
  }

  private setStatus(status: UploadStatus): void {
    this.status = status;
    core.setOutput('status', status);
  }

  private writeCheckOutputs(checks: CheckExecution[]): void {
    core.setOutput('checks', JSON.stringify(checks.map((c) => ({ id: c.id, name: c.name, status: c.status }))));
    core.setOutput('checks-failed', failed(checks).length);
  }

  private endGroup(): void {
    if (this.groupOpen) core.endGroup();
    this.groupOpen = false;
  }

  private summary(result: PublishResult | undefined, error: unknown): string {
    const out: string[] = [];
    const headline = error ? '❌' : result?.dryRun ? '🔎' : '✅';
    out.push(`<h2>${headline} Géoplateforme upload ${esc(this.context.name)}${result?.dryRun ? ' (dry run)' : ''}</h2>`);
    if (error)
      out.push(
        `<p><strong>${esc(error instanceof ChecksFailedError || error instanceof PyramidFailedError ? error.brief : messageOf(error, this.id, this.status))}</strong></p>`,
      );
    if (this.layer) out.push(this.layerSection(this.layer));
    if (error instanceof PyramidFailedError)
      out.push(
        `<details open><summary>Pyramid execution ${esc(error.executionId)}: ${error.errorLines.length} error line(s)</summary>\n<ul>${error.errorLines
          .slice(0, MAX_ERROR_LINES_PER_CHECK)
          .map((l) => `<li>${esc(shortLine(l))}</li>`)
          .join('')}</ul>\n</details>`,
      );
    if (error instanceof FileError && error.problems.length) {
      out.push('<h3>Refused before sending</h3>');
      out.push(
        table(
          ['File', 'Problem'],
          error.problems.slice(0, MAX_FILE_ROWS).map((p) => [code(p.path), esc(p.problem)]),
        ),
      );
      if (error.problems.length > MAX_FILE_ROWS) out.push(`<p>… and ${error.problems.length - MAX_FILE_ROWS} more problems not shown.</p>`);
    }
    out.push(
      table(
        [],
        [
          ['Name', esc(this.context.name)],
          ['Id', this.id ? code(this.id) : this.willCreate ? 'to be created' : '–'],
          ['Status', esc(this.status ?? (this.willCreate ? 'to be created' : '–'))],
          ['SRS', esc(this.context.srs)],
          ['Datastore', code(this.context.datastore)],
          ...(this.replacing.length ? [['Would delete', esc(this.replacing.join(', '))]] : []),
        ],
      ),
    );

    const rows = [...this.rows.values()];
    // Refused before sending: the problems above say it all, no file list of "not sent".
    if (rows.length && !(error instanceof FileError)) {
      const counts = countBy(rows.map((r) => r.outcome));
      const label: Record<FileRow['outcome'], string> = {
        sent: 'sent',
        present: 'already there',
        failed: 'failed',
        pending: result?.dryRun ? 'to send' : 'not sent',
      };
      out.push(
        `<h3>Files</h3><p>${rows.length} file(s), ${formatBytes(totalBytes(rows.map((r) => r.file)))}: ${Object.entries(counts)
          .map(([k, n]) => `${n} ${label[k as FileRow['outcome']]}`)
          .join(', ')}.</p>`,
      );
      const shown = [...rows].sort((a, b) => order(a.outcome) - order(b.outcome)).slice(0, MAX_FILE_ROWS);
      out.push(
        table(
          ['Remote path', 'Size', 'Result', 'Attempts'],
          shown.map((r) => [
            code(r.file.remotePath),
            formatBytes(r.file.size),
            esc(label[r.outcome] + (r.error ? `: ${shortLine(r.error)}` : '')),
            r.attempts ? String(r.attempts) : '',
          ]),
        ),
      );
      if (rows.length > shown.length)
        out.push(`<p>… and ${rows.length - shown.length} more files not shown (failed files are listed first).</p>`);
    }

    if (this.extra.files.length) {
      const { files, prune, deleted } = this.extra;
      const state = (f: RemoteFile) =>
        deleted.has(f.remotePath) ? 'deleted' : !prune ? 'kept (prune: false)' : result?.dryRun ? 'to delete' : 'not deleted';
      out.push(`<h3>Files no pattern matches</h3><p>${files.length} file(s) in the upload, ${formatBytes(totalBytes(files))}.</p>`);
      out.push(
        table(
          ['Remote path', 'Size', 'Result'],
          files.slice(0, MAX_FILE_ROWS).map((f) => [code(f.remotePath), formatBytes(f.size), esc(state(f))]),
        ),
      );
      if (files.length > MAX_FILE_ROWS) out.push(`<p>… and ${files.length - MAX_FILE_ROWS} more not shown.</p>`);
    }

    const checks: CheckReport[] = result?.checks.length ? result.checks : this.checks.map((c) => ({ ...c, errorLines: [] }));
    if (checks.length) {
      out.push('<h3>Checks</h3>');
      out.push(
        table(
          ['Check', 'Status', 'Duration'],
          checks.map((c) => [esc(c.name), esc(c.status), duration(c.start, c.finish)]),
        ),
      );
      for (const check of failed(checks)) {
        const lines = check.errorLines.slice(0, MAX_ERROR_LINES_PER_CHECK).map(shortLine);
        const more = check.errorLines.length - lines.length;
        // A list, not a <pre>: GitHub's styles do not wrap a <pre>, and the file name a line ends
        // with is what would be cut off. The time leads each line; the platform's prefix goes.
        const items = lines.map((line) => {
          const { time, message } = splitLogLine(line);
          return `<li>${time ? `<code>${esc(time)}</code> ` : ''}${esc(message)}</li>`;
        });
        out.push(
          `<details open><summary>${esc(check.name)}: ${check.errorLines.length} error line(s)</summary>\n<ul>${items.join('')}</ul>${more > 0 ? `<p>… ${more} more lines not shown.</p>` : ''}\n</details>`,
        );
      }
    }
    return out.join('\n');
  }
}

/** What ended the run, in one line: an ActionError's own words, a cancel, or a bug to report. */
export function messageOf(error: unknown, uploadId?: string, status?: string): string {
  if (error instanceof CancelledError)
    return `Cancelled${uploadId ? `: upload ${uploadId} was left ${status ?? 'OPEN'}; re-run the job to resume it` : ' before any upload was made'}`;
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
  if (error instanceof ActionError) return message;
  return `Unexpected error: ${message}. This is a bug in the action, not in your inputs: please report it with this log${uploadId ? ` (upload ${uploadId} was left ${status ?? 'as it was'})` : ''}`;
}

function order(outcome: FileRow['outcome']): number {
  return { failed: 0, pending: 1, sent: 2, present: 3 }[outcome];
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

function duration(start?: string, finish?: string): string {
  if (!start || !finish) return '';
  const ms = Date.parse(finish) - Date.parse(start);
  if (!Number.isFinite(ms) || ms < 0) return '';
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function shortLine(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line;
}

/**
 * Escapes text from outside (file names, server messages) for the summary. The summary is made of
 * HTML blocks with no blank line inside, which Markdown passes through untouched, so HTML escaping
 * is enough; `|` is escaped too, for a reader who pastes a row into a Markdown table.
 */
export function esc(text: string): string {
  return text.replace(/[&<>"'|]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function code(text: string): string {
  return `<code>${esc(text)}</code>`;
}

/** An HTML table; with no head, a key-value table whose first column is bold. */
function table(head: string[], rows: string[][]): string {
  const th = head.length ? `<tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>\n` : '';
  const cells = (r: string[]) => r.map((c, i) => (head.length || i > 0 ? `<td>${c}</td>` : `<th>${c}</th>`)).join('');
  return `<table>\n${th}${rows.map((r) => `<tr>${cells(r)}</tr>`).join('\n')}\n</table>`;
}
