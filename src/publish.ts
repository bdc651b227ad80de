import path from 'node:path';
import { quotaVerdict } from './access.js';
import {
  BadResponseError,
  CancelledError,
  ChecksFailedError,
  FileUploadError,
  LocalFileError,
  NetworkError,
  RemoteTreeError,
  TimeoutError,
  UploadStateError,
  ApiError,
  list,
  reasonOf,
} from './errors.js';
import { newest } from './entrepot/shapes.js';
import type { UploadsApi } from './entrepot/uploads.js';
import { PROVENANCE_KEYS } from './provenance.js';
import {
  BUSY_UPLOAD_STATUSES,
  errorLinesOf,
  failed,
  FINAL_UPLOAD_STATUSES,
  RUNNING_CHECK_STATUSES,
  splitLogLine,
} from './entrepot/status.js';
import { poll } from './poll.js';
import {
  type CheckExecution,
  type DatastoreUsage,
  type RemoteTree,
  type Upload,
  type UploadChecks,
  type UploadStatus,
} from './entrepot/types.js';
import { REMOTE_DATA_DIR, totalBytes, type LocalFile } from './files.js';
import type { Config } from './inputs.js';
import { checksumFile } from './checksums.js';
import { md5File } from './hash.js';
import { forEachLimited } from './pool.js';
import { deadline, throwIfAborted } from './retry.js';

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
  | 'prune'
> & {
  /** The input's tags and the provenance tags. */
  tags: Record<string, string>;
  /** Remote paths of every matched file, all shards together: a resumed upload keeps these. */
  keep?: ReadonlySet<string>;
  /** Name of the checksum file at the upload's root; undefined sends none. */
  checksumFile?: string;
  /** The datastore's upload space, read before the run; undefined when it could not be read. */
  usage?: DatastoreUsage;
  /** Local paths are named relative to this folder (the workspace) in errors. */
  workspace?: string;
  signal?: AbortSignal;
};

export type FileOutcome = 'sent' | 'present' | 'failed';

/** A file in the upload, known by its path there. */
export interface RemoteFile {
  remotePath: string;
  size: number;
}

export interface CheckReport extends CheckExecution {
  start?: string;
  finish?: string;
  /** The ERROR lines of a failed check's logs (every page). */
  errorLines: string[];
}

export type PublishEvent =
  | { type: 'phase'; phase: 'find' | 'prune' | 'send' | 'verify' | 'checksums' | 'close' | 'checks'; title: string }
  | { type: 'upload'; upload: Upload; how: 'created' | 'resumed' | 'attached' | 'awaited' }
  | { type: 'deleted'; upload: Upload }
  /** What the run will do: files to send, files already there, and files in the upload that are not matched. */
  | {
      type: 'plan';
      toSend: LocalFile[];
      present: LocalFile[];
      extra: RemoteFile[];
      prune: boolean;
      /** A new upload is to be made, replacing these (with `if-exists: replace`). */
      create?: { replacing: Upload[] };
    }
  | { type: 'pruned'; file: RemoteFile }
  | { type: 'file-progress'; file: LocalFile; bytes: number }
  | { type: 'file'; file: LocalFile; outcome: FileOutcome; attempts: number; ms: number; error?: string }
  | { type: 'status'; status: UploadStatus }
  | { type: 'checks'; checks: CheckExecution[]; polls: number }
  | { type: 'info' | 'warning'; message: string };

export interface PublishResult {
  upload?: Upload;
  /** The upload's status when the run ended; undefined in a dry run that would create one. */
  status?: UploadStatus;
  uploaded: number;
  checks: CheckReport[];
  dryRun: boolean;
}

type Emit = (event: PublishEvent) => void;
type Target = { kind: 'use'; upload: Upload } | { kind: 'create'; replacing: Upload[]; existing: Set<string> };

/**
 * The livraison lifecycle: find or create the upload, send what is missing, verify the tree, send
 * checksums, close, wait for the checks. Knows nothing of GitHub: it emits events and returns a
 * result, and throws a typed error when the run cannot go on. Retries and lost answers are the
 * API client's business: every call here changes the datastore at most once.
 */
export async function publish(
  api: UploadsApi,
  files: LocalFile[],
  options: PublishOptions,
  emit: Emit = () => undefined,
): Promise<PublishResult> {
  return new PublishRun(api, files, options, emit).execute();
}

/** A dry run that could not consult the API (no credentials): the plan assumes a new upload. */
export function planOffline(files: LocalFile[], prune: boolean, emit: Emit): PublishResult {
  emit({ type: 'plan', toSend: files, present: [], extra: [], prune, create: { replacing: [] } });
  return { uploaded: 0, checks: [], dryRun: true };
}

/**
 * The `status` output must say the upload's real state: after a failure it is read once more,
 * within `withinMs`; when that read does not come back in time, the status last seen stands.
 */
export async function readFinalStatus(api: UploadsApi, uploadId: string, withinMs: number, emit: Emit): Promise<void> {
  const limit = deadline(undefined, withinMs, () => new TimeoutError('reading the final status took too long'));
  try {
    const { status } = await api.within(limit.signal).getUpload(uploadId);
    emit({ type: 'status', status });
  } catch {
    // The failure itself is what the step reports.
  } finally {
    limit.dispose();
  }
}

class PublishRun {
  private readonly md5 = new Map<string, string>();
  private uploaded = 0;

  constructor(
    private readonly api: UploadsApi,
    private readonly files: LocalFile[],
    private readonly options: PublishOptions,
    private readonly emit: Emit,
  ) {}

  async execute(): Promise<PublishResult> {
    const { api, options } = this;
    this.emit({ type: 'phase', phase: 'find', title: 'Find or create the upload' });
    const target = await this.resolve();
    let upload: Upload;
    if (target.kind === 'create') {
      // A new upload takes every byte; the uploads it replaces give theirs back.
      this.checkQuota(
        totalBytes(this.files),
        target.replacing.reduce((sum, u) => sum + (u.size ?? 0), 0),
      );
      if (options.dryRun) {
        this.emit({
          type: 'plan',
          toSend: this.files,
          present: [],
          extra: [],
          prune: options.prune,
          create: { replacing: target.replacing },
        });
        return { uploaded: 0, checks: [], dryRun: true };
      }
      for (const old of target.replacing) {
        await api.deleteUpload(old.id);
        this.emit({ type: 'deleted', upload: old });
      }
      upload = await api.createUpload({ name: options.name, description: options.description, srs: options.srs }, target.existing);
      this.emit({ type: 'upload', upload, how: 'created' });
    } else {
      upload = target.upload;
    }
    // A created upload's tags go out with its first files: one round trip less before the data.
    // Its tree is empty, so it is not read either (a racing run is told apart after the send).
    const tagging = target.kind === 'create' ? this.tag(upload) : undefined;
    tagging?.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile

    if (upload.status === 'OPEN') {
      const { toSend, present, stale, extra } = this.diff(target.kind === 'create' ? new Map() : await api.tree(upload.id));
      this.emit({ type: 'plan', toSend, present, extra, prune: options.prune });
      if (target.kind === 'use') {
        // What the upload holds already counts in `use`: only the bytes still to send need room,
        // and stale or pruned copies give theirs back.
        const freed = [...stale.values()].reduce((a, b) => a + b, 0) + (options.prune ? totalBytes(extra) : 0);
        this.checkQuota(totalBytes(toSend), freed);
      }
      if (options.dryRun) return { upload, status: upload.status, uploaded: 0, checks: [], dryRun: true };
      for (const file of present) this.emit({ type: 'file', file, outcome: 'present', attempts: 0, ms: 0 });
      await this.prune(upload, extra);

      this.emit({ type: 'phase', phase: 'send', title: `Send ${toSend.length} file${toSend.length === 1 ? '' : 's'}` });
      await forEachLimited(toSend, options.concurrency, (file) => this.sendFile(upload, file, stale.has(file.remotePath)));
      await tagging;

      this.emit({ type: 'phase', phase: 'verify', title: 'Verify the remote tree' });
      // Two reads at once: the tree, and the list that tells whether another run raced this one.
      const [after] = await Promise.all([
        api.tree(upload.id),
        target.kind === 'create' ? this.warnIfRaced(upload, target.existing) : undefined,
      ]);
      this.verify(after);
      this.emit({ type: 'info', message: `The upload holds all ${this.files.length} file(s), each with its size` });

      if (options.checksumFile) {
        this.emit({ type: 'phase', phase: 'checksums', title: 'Send MD5 checksums' });
        await this.sendChecksums(upload, after, options.checksumFile);
      }
      if (!options.close) return { upload, status: 'OPEN', uploaded: this.uploaded, checks: [], dryRun: false };

      this.emit({ type: 'phase', phase: 'close', title: 'Close the upload' });
      await api.close(upload.id);
      this.emit({ type: 'status', status: 'CHECKING' });
      this.emit({ type: 'info', message: `Upload ${upload.id} closed: it is CHECKING, the platform runs its checks` });
    } else if (options.dryRun) {
      return { upload, status: upload.status, uploaded: 0, checks: [], dryRun: true };
    } else {
      // Found CHECKING, CLOSED or UNSTABLE: never touched, only awaited and reported.
      const { missing, wrongSize } = this.compare(await api.tree(upload.id));
      if (missing.length || wrongSize.length)
        throw new UploadStateError(
          `Upload ${upload.id} is ${upload.status} and does not hold every file (${list([...missing, ...wrongSize], 3)}); files cannot be added to it: reopen it, or publish with if-exists: create`,
        );
      for (const file of this.files) this.emit({ type: 'file', file, outcome: 'present', attempts: 0, ms: 0 });
    }

    if (!options.waitForChecks) {
      const { status } = await api.getUpload(upload.id);
      this.emit({ type: 'status', status });
      return { upload, status, uploaded: this.uploaded, checks: [], dryRun: false };
    }
    this.emit({ type: 'phase', phase: 'checks', title: 'Wait for the checks' });
    const { status, checks } = await this.awaitChecks(upload, options.dryRun || upload.status !== 'OPEN' ? upload.status : 'CHECKING');
    return { upload, status, uploaded: this.uploaded, checks: await this.describeChecks(checks), dryRun: false };
  }

  /** The upload to use, or the decision to create one (and which uploads that replaces). */
  private async resolve(): Promise<Target> {
    const { api, options } = this;
    if (options.uploadId) {
      const upload = await api.getUpload(options.uploadId);
      const problem = unusable(upload);
      if (problem) throw new UploadStateError(`Upload ${upload.id} (input 'upload-id') ${problem}`);
      this.checkSrs(upload);
      this.emit({ type: 'upload', upload, how: upload.status === 'OPEN' ? 'attached' : 'awaited' });
      return { kind: 'use', upload };
    }

    const named = await api.uploadsNamed(options.name);
    const existing = new Set(named.map((u) => u.id));
    if (options.ifExists === 'fail' && named.length > 0) {
      throw new UploadStateError(
        `An upload named '${options.name}' already exists (${list(
          named.map((u) => `${u.id} ${u.rawStatus}`),
          3,
        )}) and if-exists is 'fail'; use if-exists: resume, or another name`,
      );
    }
    if (options.ifExists === 'resume') {
      const open = newest(named.filter((u) => u.status === 'OPEN'));
      if (open) {
        this.checkSrs(open);
        this.emit({ type: 'upload', upload: open, how: 'resumed' });
        if (!options.dryRun) await this.tag(open);
        return { kind: 'use', upload: open };
      }
      const checking = newest(named.filter((u) => u.status === 'CHECKING'));
      if (checking) {
        this.emit({ type: 'info', message: `Upload ${checking.id} of that name is CHECKING: waiting for it instead of creating another` });
        this.emit({ type: 'upload', upload: checking, how: 'awaited' });
        return { kind: 'use', upload: checking };
      }
      // A re-run of the same commit whose delivery ended CLOSED: its upload is this run's, done.
      const sha = options.tags[PROVENANCE_KEYS.sha];
      const delivered = sha ? newest(named.filter((u) => u.status === 'CLOSED' && u.tags[PROVENANCE_KEYS.sha] === sha)) : undefined;
      if (delivered) {
        this.emit({
          type: 'info',
          message: `Upload ${delivered.id} of that name was delivered for this commit by an earlier run: going on from it`,
        });
        this.emit({ type: 'upload', upload: delivered, how: 'awaited' });
        return { kind: 'use', upload: delivered };
      }
    }
    const replacing = options.ifExists === 'replace' ? named : [];
    const busy = replacing.filter((u) => BUSY_UPLOAD_STATUSES.has(u.status));
    if (busy.length)
      throw new UploadStateError(
        `Cannot replace ${list(busy.map((u) => `upload ${u.id} (${u.rawStatus})`))}: the platform is working on it; re-run once it is done`,
      );
    return { kind: 'create', replacing, existing };
  }

  /** An upload made for another projection would fail its raster check an hour from now. */
  private checkSrs(upload: Upload): void {
    if (upload.srs && upload.srs.toUpperCase() !== this.options.srs)
      throw new UploadStateError(
        `Upload ${upload.id} was made for ${upload.srs}, not ${this.options.srs} (input 'srs'); publish with if-exists: replace, or under another name`,
      );
  }

  /** Refuses to send more than the upload space holds; warns when the server's figures are not to be trusted. */
  private checkQuota(needed: number, freed: number): void {
    if (!this.options.usage) return;
    const verdict = quotaVerdict(this.options.usage, needed, freed);
    if (verdict.kind === 'warn') this.emit({ type: 'warning', message: verdict.message });
    if (verdict.kind === 'refuse') throw verdict.error;
  }

  private async tag(upload: Upload): Promise<void> {
    if (Object.keys(this.options.tags).length > 0) await this.api.addTags(upload.id, this.options.tags);
  }

  /** Files to send (with the size of a stale copy to replace), files there, and unmatched files. */
  private diff(tree: RemoteTree) {
    const toSend: LocalFile[] = [];
    const present: LocalFile[] = [];
    const stale = new Map<string, number>();
    for (const file of this.files) {
      const remote = tree.get(file.remotePath);
      if (remote === file.size) present.push(file);
      else {
        if (remote !== undefined) stale.set(file.remotePath, remote);
        toSend.push(file);
      }
    }
    const keep = this.options.keep ?? new Set(this.files.map((f) => f.remotePath));
    const extra: RemoteFile[] = [];
    for (const [remotePath, size] of tree)
      if (remotePath.startsWith(`${REMOTE_DATA_DIR}/`) && !keep.has(remotePath)) extra.push({ remotePath, size });
    return { toSend, present, stale, extra };
  }

  /** Files a resumed upload holds that no pattern matches: deleted with `prune`, else a warning. */
  private async prune(upload: Upload, extra: RemoteFile[]): Promise<void> {
    if (extra.length === 0) return;
    if (!this.options.prune) {
      this.emit({
        type: 'warning',
        message: `Upload ${upload.id} holds ${extra.length} file(s) that no pattern matches (${list(extra.map((f) => f.remotePath))}); they will be published with it (prune: false)`,
      });
      return;
    }
    this.emit({ type: 'phase', phase: 'prune', title: `Remove ${extra.length} unmatched file${extra.length === 1 ? '' : 's'}` });
    await forEachLimited(extra, this.options.concurrency, async (file) => {
      await this.api.deleteFile(upload.id, file.remotePath);
      this.emit({ type: 'pruned', file });
    });
  }

  private async sendFile(upload: Upload, file: LocalFile, stale: boolean): Promise<void> {
    const started = Date.now();
    try {
      if (stale) await this.api.deleteFile(upload.id, file.remotePath); // a partial file from an earlier run
      const label = path.relative(this.options.workspace ?? process.cwd(), file.localPath);
      const { md5, attempts } = await this.api.sendFile(upload.id, { ...file, label }, (bytes) =>
        this.emit({ type: 'file-progress', file, bytes }),
      );
      if (md5) this.md5.set(file.remotePath, md5);
      this.uploaded++;
      this.emit({ type: 'file', file, outcome: 'sent', attempts, ms: Date.now() - started });
    } catch (error) {
      if (error instanceof CancelledError || error instanceof TimeoutError) throw error;
      const attempts = attemptsOf(error);
      this.emit({ type: 'file', file, outcome: 'failed', attempts, ms: Date.now() - started, error: reasonOf(error) });
      // A local file's problem is the user's to fix, and says so itself.
      throw error instanceof LocalFileError ? error : new FileUploadError(file.remotePath, attempts, error as Error);
    }
  }

  /** Another run may have created an upload of the same name at the same time: say so. */
  private async warnIfRaced(upload: Upload, existing: ReadonlySet<string>): Promise<void> {
    const others = (await this.api.uploadsNamed(this.options.name)).filter(
      (u) => u.id !== upload.id && !existing.has(u.id) && u.status === 'OPEN',
    );
    if (others.length)
      this.emit({
        type: 'warning',
        message: `Another OPEN upload named '${this.options.name}' (${list(others.map((u) => u.id))}) appeared beside this run's upload ${upload.id}: two runs are publishing at once; give the workflow a concurrency group`,
      });
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
      throwIfAborted(this.options.signal);
      this.md5.set(file.remotePath, await md5File(file.localPath, file.size));
    });
    const content = checksumFile(this.files.map((f) => ({ remotePath: f.remotePath, md5: this.md5.get(f.remotePath) as string })));
    // Whether a re-POST overwrites is undocumented (docs/api.md): remove an older one first.
    if (tree.has(fileName)) await this.api.deleteMd5(upload.id, fileName);
    await this.api.sendMd5(upload.id, fileName, content);
    this.emit({ type: 'info', message: `Sent ${fileName}: the MD5 of ${this.files.length} file(s), for the platform's standard check` });
  }

  /**
   * Polls until the upload is CLOSED or UNSTABLE and no check is waiting or running, within
   * `checks-timeout`: a deadline that also cuts a request in flight.
   */
  private async awaitChecks(upload: Upload, known: UploadStatus): Promise<{ status: UploadStatus; checks: CheckExecution[] }> {
    const { options } = this;
    let last = { status: known, checks: [] as CheckExecution[], state: '' };
    let polls = 0;
    const timeout = () => {
      const waiting = last.checks.filter((c) => RUNNING_CHECK_STATUSES.has(c.status)).map((c) => `${c.name} ${c.status}`);
      return new TimeoutError(
        `The checks did not finish within ${formatDuration(options.checksTimeoutMs)} (input 'checks-timeout'); last status ${last.status}` +
          (waiting.length ? ` with ${waiting.join(', ')}` : '') +
          `. The upload ${upload.id} was left as it is: re-run to keep waiting`,
      );
    };
    const pollOptions = {
      firstPauseMs: options.pollIntervalMs,
      withinMs: options.checksTimeoutMs,
      onTimeout: timeout,
      signal: options.signal,
      onForgiven: (error: unknown) =>
        this.emit({ type: 'warning', message: `Reading the checks failed (${(error as Error).message}); trying again` }),
    };
    return poll(pollOptions, async (signal) => {
      const api = this.api.within(signal);
      const { status } = await api.getUpload(upload.id);
      const lists = await api.checks(upload.id);
      const checks = flatten(lists);
      const state = `${status}|${checks.map((c) => `${c.id}:${c.status}`).join(',')}`;
      if (++polls === 1 || state !== last.state) {
        this.emit({ type: 'status', status });
        this.emit({ type: 'checks', checks, polls });
      }
      last = { status, checks, state };
      // Right after close the lists may still be empty while the status is CHECKING.
      if (FINAL_UPLOAD_STATUSES.has(status) && lists.asked.length === 0 && lists.inProgress.length === 0) {
        this.emit({ type: 'info', message: `Checks finished after ${polls} poll${polls === 1 ? '' : 's'} (2 requests each)` });
        return { state, value: { status, checks } };
      }
      if (status === 'DELETED') throw new UploadStateError(`Upload ${upload.id} was deleted while its checks ran`);
      if (status === 'OPEN' && polls > 1) throw new UploadStateError(`Upload ${upload.id} was reopened while its checks ran`);
      return { state };
    });
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
            errorLines = errorLinesOf(await this.api.logs(check.id));
          } catch (error) {
            errorLines = [`(the logs could not be read: ${(error as Error).message})`];
          }
        }
        return { ...check, start: detail.start, finish: detail.finish, errorLines };
      }),
    );
  }
}

/** Why an upload given by id cannot be used, or undefined when it can. */
function unusable(upload: Upload): string | undefined {
  switch (upload.status) {
    case 'OPEN':
    case 'CHECKING':
    case 'CLOSED':
    case 'UNSTABLE':
      return undefined;
    case 'DELETED':
      return 'is DELETED; remove upload-id to create a new one';
    case 'CREATED':
    case 'GENERATING':
    case 'MODIFYING':
      return `is ${upload.status}, not OPEN; wait until the platform is done with it`;
    case 'UNKNOWN':
      return `has the status '${upload.rawStatus}', which this action does not know; check it in the datastore before publishing into it`;
  }
}

function attemptsOf(error: unknown): number {
  return error instanceof ApiError || error instanceof NetworkError || error instanceof BadResponseError ? error.attempts : 1;
}

function flatten(lists: UploadChecks): CheckExecution[] {
  return [...lists.passed, ...lists.failed, ...lists.inProgress, ...lists.asked];
}

function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))} s`;
  const minutes = ms / 60_000;
  return `${Number.isInteger(minutes) ? minutes : minutes.toFixed(2)} min`;
}

/** The error to raise for a result whose checks failed, or undefined when all passed. */
export function checksFailure(result: PublishResult): ChecksFailedError | undefined {
  const failures = failed(result.checks);
  if (result.status !== 'UNSTABLE' && failures.length === 0) return undefined;
  const first = failures.flatMap((c) => c.errorLines)[0];
  return new ChecksFailedError(failures.length ? failures.map((c) => c.name) : ['(unknown)'], first && splitLogLine(first).message);
}
