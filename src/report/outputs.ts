import { ActionError, FileError, PyramidFailedError } from '../shared/errors.js';
import { failed } from '../entrepot/status.js';
import { totalBytes } from '../workspace/files.js';
import { checkList, type RunEvent, type RunRecord } from './record.js';
import type { GitHubSink } from './sink.js';

/** The `uploaded` output is rewritten at most this often while files go (and always at the end). */
const UPLOADED_OUTPUT_INTERVAL_MS = 1000;
/** GitHub shows at most 10 error annotations per step; a few lines each is enough. */
const ANNOTATION_LINES = 5;
const ANNOTATION_LIMIT = 10;
const MAX_LINE_CHARS = 500;

/**
 * The step's outputs, set as soon as they are known so that later steps have them even when this
 * one fails; and at the end, the annotations.
 */
export class OutputWriter {
  private uploadedWrittenAt = 0;

  constructor(private readonly sink: GitHubSink) {}

  /** After `record` has folded `event`. */
  onEvent(event: RunEvent, record: RunRecord): void {
    switch (event.type) {
      case 'files':
        this.sink.output('files', event.files.length);
        this.sink.output('bytes', totalBytes(event.files));
        break;
      case 'upload':
        this.sink.output('upload-id', event.upload.id);
        this.sink.output('status', event.upload.status);
        break;
      case 'status':
        this.sink.output('status', event.status);
        break;
      case 'file':
        // Each write appends to GITHUB_OUTPUT: once per file costs more than the file itself.
        if (event.outcome === 'sent' && Date.now() - this.uploadedWrittenAt >= UPLOADED_OUTPUT_INTERVAL_MS) {
          this.uploadedWrittenAt = Date.now();
          this.sink.output('uploaded', record.uploaded);
        }
        break;
      case 'checks':
        this.checks(record);
        break;
      case 'stored-data':
        this.sink.output('stored-data-id', event.storedData.id);
        break;
      case 'layer':
        if (event.report.services.length) this.layer(record);
        if (event.report.update) {
          this.sink.output('update', event.report.update.kind);
          this.sink.output('changed', event.report.update.changed);
        }
        break;
      case 'catalogue':
        if (event.report.metadataId) this.sink.output('metadata-id', event.report.metadataId);
        break;
      case 'end':
        this.sink.output('uploaded', record.uploaded);
        if (record.status) this.sink.output('status', record.status);
        if (record.checks.length || event.result) this.checks(record);
        break;
    }
  }

  /** Annotations that say what went wrong where: refused files, a failed pyramid, failed checks, retries. */
  annotate(record: RunRecord): void {
    const { error, result } = record.end ?? {};
    // A refused file gets its own annotation on the file (GitHub shows the first 10).
    if (error instanceof FileError)
      for (const problem of error.problems.slice(0, ANNOTATION_LIMIT))
        this.sink.warning(problem.problem, { file: problem.paths[0], title: 'Refused before sending' });
    if (error instanceof PyramidFailedError)
      this.sink.error(firstLines(error.errorLines) || 'failed without ERROR lines in its log', {
        title: `Pyramid failed: execution ${error.executionId}`,
      });
    for (const check of failed(result?.checks ?? []))
      this.sink.error(firstLines(check.errorLines) || 'failed without ERROR lines in its log', { title: `Check failed: ${check.name}` });
    if (record.retries > 0)
      this.sink.warning(
        `${record.retries} attempt(s) failed on transient errors and were retried (see the log); the network or the API was unsteady`,
      );
    if (record.uploadId && !result?.dryRun)
      this.sink.notice(
        record.layer?.uploadDeleted
          ? `Upload ${record.uploadId} was ${record.status}, then deleted: layer ${record.layer.layer} is served from its pyramid ${record.layer.storedData?.id}`
          : `Upload ${record.uploadId} is ${record.status}`,
        { title: 'Géoplateforme upload' },
      );
    // A bug, not a user's mistake: its stack helps whoever fixes it.
    if (error && !(error instanceof ActionError) && error instanceof Error && error.stack) this.sink.log(error.stack);
  }

  private checks(record: RunRecord): void {
    this.sink.output('checks', JSON.stringify(checkList(record.checks)));
    this.sink.output('checks-failed', failed(record.checks).length);
  }

  private layer(record: RunRecord): void {
    const report = record.layer;
    if (!report) return;
    this.sink.output('layer-urls', JSON.stringify(report.urls));
    if (report.fiche) this.sink.output('fiche-url', report.fiche);
    const offerings = report.services.flatMap((s) =>
      s.offering
        ? [{ id: s.offering.id, configuration: s.configurationId, type: s.type, status: s.offering.status, urls: s.offering.urls }]
        : [],
    );
    this.sink.output('offerings', JSON.stringify(offerings));
  }
}

function firstLines(lines: string[]): string {
  return lines
    .slice(0, ANNOTATION_LINES)
    .map((line) => (line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line))
    .join('\n');
}
