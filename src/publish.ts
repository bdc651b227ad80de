import {
  ApiError,
  CancelledError,
  ChecksFailedError,
  FileUploadError,
  RemoteTreeError,
  TimeoutError,
  UploadStateError,
  list,
  reasonOf,
} from './errors.js';
import type { EntrepotApi } from './entrepot/client.js';
import type { CheckExecution, RemoteTree, Upload, UploadChecks } from './entrepot/types.js';
import type { LocalFile } from './files.js';
import { isTransient, outcomeUnknown } from './http.js';
import type { Config } from './inputs.js';
import { checksumFile } from './checksums.js';
import { md5File } from './hash.js';
import { forEachLimited, sleep } from './pool.js';

/** The inputs the lifecycle uses, and what main derives for it. */
export type PublishOptions = Pick<
  Config,
  | 'name'
  | 'description'
  | 'srs'
  | 'ifExists'
  | 'uploadId'
  | 'close'
  | 'waitForChecks'
  | 'checksTimeoutMs'
  | 'pollIntervalMs'
  | 'concurrency'
  | 'dryRun'
> & {
  /** The input's tags and the provenance tags. */
  tags: Record<string, string>;
  /** Attempts for one file on a transient error (input `retries`). */
  attempts: number;
  /** Wait before attempt `attempt + 1` after `error` (backoff, Retry-After). */
  retryDelay: (attempt: number, error: unknown) => number;
  /** Name of the checksum file at the upload's root; undefined sends none. */
  checksumFile?: string;
  signal?: AbortSignal;
};

export type FileOutcome = 'sent' | 'present' | 'failed';

export interface CheckReport extends CheckExecution {
  start?: string;
  finish?: string;
  /** The ERROR lines of a failed check's logs (every page). */
  errorLines: string[];
}

export type PublishEvent =
  | { type: 'phase'; phase: 'find' | 'send' | 'verify' | 'checksums' | 'close' | 'checks'; title: string }
  | { type: 'upload'; upload: Upload; how: 'created' | 'resumed' | 'attached' | 'awaited' | 'planned' }
  | { type: 'deleted'; upload: Upload }
  | { type: 'plan'; toSend: LocalFile[]; present: LocalFile[] }
  | { type: 'file-progress'; file: LocalFile; bytes: number }
  | { type: 'file'; file: LocalFile; outcome: FileOutcome; attempts: number; ms: number; error?: string }
  | { type: 'retry'; what: string; attempt: number; delayMs: number; reason: string }
  | { type: 'status'; status: string }
  | { type: 'checks'; checks: CheckExecution[]; polls: number }
  | { type: 'info' | 'warning'; message: string };

export interface PublishResult {
  upload?: Upload;
  status: string;
  uploaded: number;
  checks: CheckReport[];
  dryRun: boolean;
}

/** Poll intervals grow while nothing changes, up to this (or the chosen interval if longer). */
const MAX_POLL_INTERVAL_MS = 60_000;
const POLL_GROWTH = 1.5;
/** Polls that may fail in a row (after their own retries) before waiting gives up. */
const POLL_ERROR_BUDGET = 3;
const FINAL_STATUSES = new Set(['CLOSED', 'UNSTABLE']);

type Emit = (event: PublishEvent) => void;

/**
 * The livraison lifecycle: find or create the upload, send what is missing, verify the tree, send
 * checksums, close, wait for the checks. Knows nothing of GitHub: it emits events and returns a
 * result, and throws a typed error when the run cannot go on.
 */
export async function publish(
  api: EntrepotApi,
  files: LocalFile[],
  options: PublishOptions,
  emit: Emit = () => undefined,
): Promise<PublishResult> {
  const run = new PublishRun(api, files, options, emit);
  return run.execute();
}

class PublishRun {
  private readonly md5 = new Map<string, string>();
  private uploaded = 0;

  constructor(
    private readonly api: EntrepotApi,
    private readonly files: LocalFile[],
    private readonly options: PublishOptions,
    private readonly emit: Emit,
  ) {}

  async execute(): Promise<PublishResult> {
    const { options } = this;
    this.emit({ type: 'phase', phase: 'find', title: 'Find or create the upload' });
    const found = await this.resolveUpload();
    if (found.kind === 'plan-create') {
      this.emit({ type: 'plan', toSend: this.files, present: [] });
      return { status: 'OPEN', uploaded: 0, checks: [], dryRun: true };
    }
    const upload = found.upload;

    if (upload.status === 'OPEN') {
      const tree = await this.api.tree(upload.id);
      const { toSend, present, stale } = this.diff(tree);
      this.emit({ type: 'plan', toSend, present });
      if (options.dryRun) return { upload, status: upload.status, uploaded: 0, checks: [], dryRun: true };
      for (const file of present) this.emit({ type: 'file', file, outcome: 'present', attempts: 0, ms: 0 });

      this.emit({ type: 'phase', phase: 'send', title: `Send ${toSend.length} file${toSend.length === 1 ? '' : 's'}` });
      await forEachLimited(toSend, options.concurrency, (file) => this.sendFile(upload, file, stale.has(file.remotePath)));

      this.emit({ type: 'phase', phase: 'verify', title: 'Verify the remote tree' });
      const after = await this.api.tree(upload.id);
      this.verify(after);

      if (options.checksumFile) {
        this.emit({ type: 'phase', phase: 'checksums', title: 'Send MD5 checksums' });
        await this.sendChecksums(upload, after, options.checksumFile);
      }
      if (!options.close) return { upload, status: 'OPEN', uploaded: this.uploaded, checks: [], dryRun: false };

      this.emit({ type: 'phase', phase: 'close', title: 'Close the upload' });
      await this.close(upload);
    } else if (options.dryRun) {
      return { upload, status: upload.status, uploaded: 0, checks: [], dryRun: true };
    } else {
      // Found CHECKING, CLOSED or UNSTABLE: never touched, only awaited and reported.
      const { missing, wrongSize } = this.compare(await this.api.tree(upload.id));
      if (missing.length || wrongSize.length)
        throw new UploadStateError(
          `Upload ${upload.id} is ${upload.status} and does not hold every file (${list([...missing, ...wrongSize], 3)}); files cannot be added to it: reopen it, or publish with if-exists: create`,
        );
      for (const file of this.files) this.emit({ type: 'file', file, outcome: 'present', attempts: 0, ms: 0 });
    }

    if (!options.waitForChecks) {
      const { status } = await this.api.getUpload(upload.id);
      this.emit({ type: 'status', status });
      return { upload, status, uploaded: this.uploaded, checks: [], dryRun: false };
    }
    this.emit({ type: 'phase', phase: 'checks', title: 'Wait for the checks' });
    const { status, checks } = await this.awaitChecks(upload);
    return { upload, status, uploaded: this.uploaded, checks: await this.describeChecks(checks), dryRun: false };
  }

  private async resolveUpload(): Promise<{ kind: 'upload'; upload: Upload } | { kind: 'plan-create' }> {
    const { api, options } = this;
    if (options.uploadId) {
      const upload = await api.getUpload(options.uploadId);
      if (upload.status === 'DELETED')
        throw new UploadStateError(`Upload ${upload.id} (input 'upload-id') is DELETED; remove upload-id to create a new one`);
      if (upload.status !== 'OPEN' && !FINAL_STATUSES.has(upload.status) && upload.status !== 'CHECKING')
        throw new UploadStateError(
          `Upload ${upload.id} (input 'upload-id') is ${upload.status}, not OPEN; wait until the platform is done with it`,
        );
      this.checkSrs(upload);
      this.emit({ type: 'upload', upload, how: upload.status === 'OPEN' ? 'attached' : 'awaited' });
      return { kind: 'upload', upload };
    }

    const existing = await this.uploadsNamed();
    const live = existing.filter((u) => u.status !== 'DELETED');
    if (options.ifExists === 'fail' && live.length > 0) {
      throw new UploadStateError(
        `An upload named '${options.name}' already exists (${list(
          live.map((u) => `${u.id} ${u.status}`),
          3,
        )}) and if-exists is 'fail'; use if-exists: resume, or another name`,
      );
    }
    if (options.ifExists === 'resume') {
      const pick = (status: string) => newest(live.filter((u) => u.status === status));
      const open = pick('OPEN');
      if (open) {
        this.checkSrs(open);
        this.emit({ type: 'upload', upload: open, how: 'resumed' });
        if (!options.dryRun) await this.tag(open);
        return { kind: 'upload', upload: open };
      }
      const checking = pick('CHECKING');
      if (checking) {
        this.emit({ type: 'info', message: `Upload ${checking.id} of that name is CHECKING: waiting for it instead of creating another` });
        this.emit({ type: 'upload', upload: checking, how: 'awaited' });
        return { kind: 'upload', upload: checking };
      }
    }
    if (options.dryRun) return { kind: 'plan-create' };
    if (options.ifExists === 'replace') {
      for (const old of live) {
        await api.deleteUpload(old.id);
        this.emit({ type: 'deleted', upload: old });
      }
    }
    const upload = await this.create(new Set(existing.map((u) => u.id)));
    this.emit({ type: 'upload', upload, how: 'created' });
    await this.tag(upload);
    return { kind: 'upload', upload };
  }

  /** An upload made for another projection would fail its raster check an hour from now. */
  private checkSrs(upload: Upload): void {
    if (upload.srs && upload.srs.toUpperCase() !== this.options.srs)
      throw new UploadStateError(
        `Upload ${upload.id} was made for ${upload.srs}, not ${this.options.srs} (input 'srs'); publish with if-exists: replace, or under another name`,
      );
  }

  /** Uploads whose name is exactly ours: the server's `name` filter is pattern-like (§2.2). */
  private async uploadsNamed(): Promise<Upload[]> {
    const candidates = await this.api.listUploads(this.options.name);
    const exact: Upload[] = [];
    for (const candidate of candidates) {
      // A list item may come without its name when the server ignores `fields`.
      const upload = candidate.name ? candidate : await this.api.getUpload(candidate.id);
      if (upload.name === this.options.name) exact.push(upload);
    }
    return exact;
  }

  /**
   * Creating is not idempotent: after a failure whose outcome is unknown, an upload of our name
   * that was not there before is the one we made; only when there is none do we try again.
   */
  private async create(before: Set<string>): Promise<Upload> {
    const { options } = this;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.api.createUpload({ name: options.name, description: options.description, srs: options.srs });
      } catch (error) {
        if (!isTransient(error) || attempt >= options.attempts) throw error;
        if (outcomeUnknown(error)) {
          const made = newest((await this.uploadsNamed()).filter((u) => !before.has(u.id) && u.status !== 'DELETED'));
          if (made) return made;
        }
        await this.backoff(`create upload '${options.name}'`, attempt, error);
      }
    }
  }

  private async tag(upload: Upload): Promise<void> {
    if (Object.keys(this.options.tags).length > 0) await this.api.addTags(upload.id, this.options.tags);
  }

  private diff(tree: RemoteTree) {
    const toSend: LocalFile[] = [];
    const present: LocalFile[] = [];
    const stale = new Set<string>();
    for (const file of this.files) {
      const remote = tree.get(file.remotePath);
      if (remote === file.size) present.push(file);
      else {
        if (remote !== undefined) stale.add(file.remotePath);
        toSend.push(file);
      }
    }
    return { toSend, present, stale };
  }

  private async sendFile(upload: Upload, file: LocalFile, stale: boolean): Promise<void> {
    const started = Date.now();
    if (stale) await this.api.deleteFile(upload.id, file.remotePath); // a partial file from an earlier run
    for (let attempt = 1; ; attempt++) {
      this.throwIfCancelled();
      try {
        const { md5 } = await this.api.sendFile(upload.id, file, (bytes) => this.emit({ type: 'file-progress', file, bytes }));
        this.md5.set(file.remotePath, md5);
        this.uploaded++;
        this.emit({ type: 'file', file, outcome: 'sent', attempts: attempt, ms: Date.now() - started });
        return;
      } catch (error) {
        if (error instanceof CancelledError) throw error;
        const fail = () => {
          this.emit({
            type: 'file',
            file,
            outcome: 'failed',
            attempts: attempt,
            ms: Date.now() - started,
            error: reasonOf(error),
          });
          return new FileUploadError(file.remotePath, attempt, error as Error);
        };
        // A strict server may refuse to overwrite (409): the file may be there from an attempt whose
        // answer was lost. Look at the tree as for an unknown outcome.
        const conflict = error instanceof ApiError && error.status === 409;
        if (!isTransient(error) && !conflict) throw fail();
        if (outcomeUnknown(error) || conflict) {
          // The server may have stored it anyway (a 502 after the body went through): look first.
          const remote = (await this.api.tree(upload.id)).get(file.remotePath);
          if (remote === file.size) {
            this.uploaded++;
            this.emit({ type: 'file', file, outcome: 'sent', attempts: attempt, ms: Date.now() - started });
            return;
          }
          if (remote !== undefined) await this.api.deleteFile(upload.id, file.remotePath);
        }
        if (attempt >= this.options.attempts) throw fail();
        await this.backoff(file.remotePath, attempt, error);
      }
    }
  }

  private verify(tree: RemoteTree): void {
    const { missing, wrongSize } = this.compare(tree);
    if (missing.length || wrongSize.length) throw new RemoteTreeError(missing, wrongSize);
  }

  /** The local files the tree lacks, and those it holds with another size. */
  private compare(tree: RemoteTree): { missing: string[]; wrongSize: string[] } {
    const missing = this.files.filter((f) => !tree.has(f.remotePath)).map((f) => f.remotePath);
    const wrongSize = this.files
      .filter((f) => tree.has(f.remotePath) && tree.get(f.remotePath) !== f.size)
      .map((f) => `${f.remotePath} (${tree.get(f.remotePath)} bytes, ${f.size} expected)`);
    return { missing, wrongSize };
  }

  private async sendChecksums(upload: Upload, tree: RemoteTree, fileName: string): Promise<void> {
    // Files sent by an earlier run or stored despite an error were not hashed on the way out.
    const unhashed = this.files.filter((f) => !this.md5.has(f.remotePath));
    await forEachLimited(unhashed, this.options.concurrency, async (file) => {
      this.throwIfCancelled();
      this.md5.set(file.remotePath, await md5File(file.localPath, file.size));
    });
    const content = checksumFile(this.files.map((f) => ({ remotePath: f.remotePath, md5: this.md5.get(f.remotePath) as string })));
    // Whether a re-POST overwrites is undocumented (§2.5): remove an older one first.
    if (tree.has(fileName)) await this.api.deleteMd5(upload.id, fileName);
    await this.api.sendMd5(upload.id, fileName, content);
  }

  private async close(upload: Upload): Promise<void> {
    try {
      await this.api.close(upload.id);
    } catch (error) {
      // A close that timed out may have happened: only an upload still OPEN was not closed.
      if (!outcomeUnknown(error)) throw error;
      const { status } = await this.api.getUpload(upload.id);
      if (status === 'OPEN') throw error;
    }
  }

  /** Polls until the upload is CLOSED or UNSTABLE and no check is waiting or running. */
  private async awaitChecks(upload: Upload): Promise<{ status: string; checks: CheckExecution[] }> {
    const { options } = this;
    const deadline = Date.now() + options.checksTimeoutMs;
    const maxInterval = Math.max(MAX_POLL_INTERVAL_MS, options.pollIntervalMs);
    let interval = options.pollIntervalMs;
    let polls = 0;
    let errorsInARow = 0;
    let last = { status: upload.status, checks: [] as CheckExecution[], signature: '' };
    for (;;) {
      this.throwIfCancelled();
      try {
        const { status } = await this.api.getUpload(upload.id);
        const lists = await this.api.checks(upload.id);
        polls++;
        errorsInARow = 0;
        const checks = flatten(lists);
        const signature = `${status}|${checks.map((c) => `${c.id}:${c.status}`).join(',')}`;
        if (signature !== last.signature) {
          this.emit({ type: 'status', status });
          this.emit({ type: 'checks', checks, polls });
          interval = options.pollIntervalMs;
        } else {
          interval = Math.min(maxInterval, interval * POLL_GROWTH);
        }
        last = { status, checks, signature };
        // Right after close the lists may still be empty while the status is CHECKING (§9.7).
        if (FINAL_STATUSES.has(status) && lists.asked.length === 0 && lists.inProgress.length === 0) {
          this.emit({ type: 'info', message: `Checks finished after ${polls} poll${polls === 1 ? '' : 's'} (2 requests each)` });
          return { status, checks };
        }
        if (status === 'DELETED') throw new UploadStateError(`Upload ${upload.id} was deleted while its checks ran`);
        if (status === 'OPEN' && polls > 1) throw new UploadStateError(`Upload ${upload.id} was reopened while its checks ran`);
      } catch (error) {
        if (!isTransient(error) || ++errorsInARow > POLL_ERROR_BUDGET) throw error;
        this.emit({ type: 'warning', message: `Reading the checks failed (${(error as Error).message}); trying again` });
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        const waiting = last.checks.filter((c) => c.status === 'WAITING' || c.status === 'PROGRESS').map((c) => `${c.name} ${c.status}`);
        throw new TimeoutError(
          `The checks did not finish within ${formatMinutes(options.checksTimeoutMs)} (input 'checks-timeout'); last status ${last.status}` +
            (waiting.length ? ` with ${waiting.join(', ')}` : '') +
            `. The upload ${upload.id} was left as it is: re-run to keep waiting`,
        );
      }
      await sleep(Math.min(interval, remaining), options.signal).catch(() => {
        throw new CancelledError();
      });
    }
  }

  private async describeChecks(checks: CheckExecution[]): Promise<CheckReport[]> {
    return Promise.all(
      checks.map(async (check) => {
        let detail: { start?: string; finish?: string } = {};
        try {
          detail = await this.api.execution(check.id);
        } catch (error) {
          this.emit({ type: 'warning', message: `Could not read check execution ${check.id}: ${(error as Error).message}` });
        }
        let errorLines: string[] = [];
        if (check.status === 'FAILURE') {
          try {
            const lines = await this.api.logs(check.id);
            errorLines = lines.filter((line) => /ERROR/.test(line));
            if (errorLines.length === 0) errorLines = lines.slice(-20); // no ERROR marker: the tail says most
          } catch (error) {
            errorLines = [`(the logs could not be read: ${(error as Error).message})`];
          }
        }
        return { ...check, start: detail.start, finish: detail.finish, errorLines };
      }),
    );
  }

  private async backoff(what: string, attempt: number, error: unknown): Promise<void> {
    const delayMs = this.options.retryDelay(attempt, error);
    this.emit({ type: 'retry', what, attempt, delayMs, reason: reasonOf(error) });
    await sleep(delayMs, this.options.signal).catch(() => {
      throw new CancelledError();
    });
  }

  private throwIfCancelled(): void {
    if (this.options.signal?.aborted) throw new CancelledError();
  }
}

function flatten(lists: UploadChecks): CheckExecution[] {
  return [...lists.passed, ...lists.failed, ...lists.inProgress, ...lists.asked];
}

function newest(uploads: Upload[]): Upload | undefined {
  return [...uploads].sort((a, b) => (b.lastEventDate ?? '').localeCompare(a.lastEventDate ?? ''))[0];
}

function formatMinutes(ms: number): string {
  const minutes = ms / 60_000;
  return `${Number.isInteger(minutes) ? minutes : minutes.toFixed(2)} min`;
}

/** The error to raise for a result whose checks failed, or undefined when all passed. */
export function checksFailure(result: PublishResult): ChecksFailedError | undefined {
  const failed = result.checks.filter((c) => c.status === 'FAILURE');
  if (result.status !== 'UNSTABLE' && failed.length === 0) return undefined;
  return new ChecksFailedError(failed.length ? failed.map((c) => c.name) : ['(unknown)'], failed.flatMap((c) => c.errorLines)[0]);
}
