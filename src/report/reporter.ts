import { commentRecordOf } from './comment.js';
import type { CommentRecord } from './comment-types.js';
import type { LocalFile } from '../workspace/files.js';
import type { PublishResult } from '../delivery/types.js';
import type { UpdatePlan } from '../layer/types.js';
import { LogWriter } from './log.js';
import { OutputWriter } from './outputs.js';
import { newRecord, recordEvent, type RunContext, type RunEvent, type RunRecord } from './record.js';
import type { GitHubSink } from './sink.js';
import { renderSummary } from './summary.js';
import { messageOf } from './text.js';

/**
 * What `main` reports through: every event is folded into the run's record, then the log and the
 * outputs are written from it as it comes; at the end, the annotations, the job summary and the
 * failure. A failed or cancelled run still reports all that happened.
 */
export class Reporter {
  private readonly record: RunRecord;
  private readonly sink: GitHubSink;
  private readonly logWriter: LogWriter;
  private readonly outputs: OutputWriter;

  constructor(context: RunContext, sink: GitHubSink) {
    this.record = newRecord(context);
    this.sink = sink;
    this.logWriter = new LogWriter(this.sink, context.dryRun === true);
    this.outputs = new OutputWriter(this.sink);
  }

  readonly onEvent = (event: RunEvent): void => {
    recordEvent(this.record, event);
    this.logWriter.onEvent(event, this.record);
    this.outputs.onEvent(event, this.record);
  };

  /** The upload the run used, once known. */
  get uploadId(): string | undefined {
    return this.record.uploadId;
  }

  /** A request's line, for the debug log only. */
  debug(line: () => string): void {
    this.sink.debug(line);
  }

  /** A value that must never show (a token obtained). */
  secret(value: string): void {
    this.sink.secret(value);
  }

  /** Matched files are known: `files` and `bytes` outputs right away. */
  files(files: LocalFile[]): void {
    this.onEvent({ type: 'files', files });
  }

  place(file: LocalFile, epsg?: number, ring?: Array<[number, number]>): void {
    this.onEvent({ type: 'place', file, epsg, ring });
  }

  offline(): void {
    this.onEvent({ type: 'offline' });
  }

  /** A request or a file that is tried again: a log line, and one warning at the end for all. */
  retried(what: string, attempt: number, reason: string, delayMs: number): void {
    this.onEvent({ type: 'retry', what, attempt, reason, delayMs });
  }

  log(message: string): void {
    this.onEvent({ type: 'info', message });
  }

  warning(message: string): void {
    this.onEvent({ type: 'warning', message });
  }

  notice(message: string): void {
    this.onEvent({ type: 'notice', message });
  }

  /** How the layer is brought up to date: a notice for a full rebuild the user did not ask for; the files it leaves out, unchanged. */
  layerUpdate(layer: string, update: UpdatePlan, matched: LocalFile[], dryRun: boolean): void {
    if (update.kind === 'full' && !dryRun && update.why !== 'update: full') this.notice(`A full rebuild of layer ${layer}: ${update.why}`);
    this.log(`Update of layer ${layer}: ${update.kind}, ${update.why}`);
    const sent = new Set(update.files);
    for (const file of matched) if (!sent.has(file)) this.onEvent({ type: 'file', file, outcome: 'unchanged', attempts: 0, ms: 0 });
  }

  /** The pull-request comment's view of the record; its rendered body goes out through `redact`. */
  commentRecord(): CommentRecord {
    return commentRecordOf(this.record);
  }

  redact(text: string): string {
    return this.sink.redact(text);
  }

  /** Writes the final outputs, the annotations and the summary; then fails the step if `error`. */
  async finish(result: PublishResult | undefined, error?: unknown): Promise<void> {
    if (this.record.end) return;
    this.onEvent({ type: 'end', result, error });
    this.outputs.annotate(this.record);
    await this.sink.summary(renderSummary(this.record));
    if (error) this.sink.fail(messageOf(error, this.record.uploadId, this.record.status));
  }
}
