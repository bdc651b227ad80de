import path from 'node:path';
import {
  CancelledError,
  FileUploadError,
  LocalFileError,
  RemoteTreeError,
  RequestError,
  TimeoutError,
  list,
  reasonOf,
} from '../shared/errors.js';
import type { RemoteTree, Upload } from '../entrepot/types.js';
import type { UploadsApi } from '../entrepot/uploads.js';
import { checksumFile } from './checksums.js';
import { REMOTE_DATA_DIR, type LocalFile } from '../workspace/files.js';
import { md5File } from '../shared/hash.js';
import { forEachLimited } from '../shared/pool.js';
import type { PublishEvent, PublishOptions, RemoteFile } from './types.js';
import { throwIfAborted } from '../shared/abort.js';

/**
 * What goes into an OPEN upload: the plan against its tree (files to send, with the size of a stale
 * copy to replace; files already there; files no pattern matches), the pruning, the files sent a
 * few at a time, the tree verified, and the MD5 checksum file. Each change is the API client's to
 * make at most once; this keeps the MD5 of what was sent and the count of files sent.
 */
export class Transfer {
  private readonly md5 = new Map<string, string>();
  /** Files sent by this run. */
  uploaded = 0;

  constructor(
    private readonly api: UploadsApi,
    private readonly files: LocalFile[],
    private readonly options: PublishOptions,
    private readonly emit: (event: PublishEvent) => void,
  ) {}

  /** Files to send (with the size of a stale copy to replace), files there, and unmatched files. */
  diff(tree: RemoteTree) {
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
  async prune(upload: Upload, extra: RemoteFile[]): Promise<void> {
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

  /** Sends `toSend`, `concurrency` at a time; a stale copy is deleted first. */
  async sendAll(upload: Upload, toSend: LocalFile[], stale: ReadonlyMap<string, number>): Promise<void> {
    const ready = await this.withContent(toSend);
    await forEachLimited(ready, this.options.concurrency, (file) => this.sendFile(upload, file, stale.has(file.remotePath)));
  }

  /** Files whose content is not on the disk yet (Git LFS pointers) get it, only when it is read. */
  private async withContent(files: LocalFile[]): Promise<LocalFile[]> {
    return files.length && this.options.withContent ? this.options.withContent(files) : files;
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

  verify(tree: RemoteTree): void {
    const { missing, wrongSize } = this.compare(tree);
    if (missing.length || wrongSize.length) throw new RemoteTreeError(missing, wrongSize);
  }

  /** The local files the tree lacks, and those it holds with another size. */
  compare(tree: RemoteTree): { missing: string[]; wrongSize: string[] } {
    const missing = this.files.filter((f) => !tree.has(f.remotePath)).map((f) => f.remotePath);
    const wrongSize = this.files
      .filter((f) => tree.has(f.remotePath) && tree.get(f.remotePath) !== f.size)
      .map((f) => `${f.remotePath} (${tree.get(f.remotePath)} bytes, ${f.size} expected)`);
    return { missing, wrongSize };
  }

  async sendChecksums(upload: Upload, tree: RemoteTree, fileName: string): Promise<void> {
    // Files sent by an earlier run or stored despite an error were not hashed on the way out.
    const unhashed = await this.withContent(this.files.filter((f) => !this.md5.has(f.remotePath)));
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
}

function attemptsOf(error: unknown): number {
  return error instanceof RequestError ? error.attempts : 1;
}
