import { quotaVerdict } from './access.js';
import { Checks } from './checks.js';
import { list, UploadStateError } from '../shared/errors.js';
import type { Upload } from '../entrepot/types.js';
import type { UploadsApi } from '../entrepot/uploads.js';
import { totalBytes, type LocalFile } from '../workspace/files.js';
import { TargetFinder, type Target } from './target.js';
import { Transfer } from './transfer.js';
import type { PublishEmit as Emit, PublishOptions, PublishResult } from './types.js';

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

class PublishRun {
  private readonly finder: TargetFinder;
  private readonly transfer: Transfer;

  constructor(
    private readonly api: UploadsApi,
    private readonly files: LocalFile[],
    private readonly options: PublishOptions,
    private readonly emit: Emit,
  ) {
    this.finder = new TargetFinder(api, options, emit);
    this.transfer = new Transfer(api, files, options, emit);
  }

  async execute(): Promise<PublishResult> {
    this.emit({ type: 'phase', phase: 'find', title: 'Find or create the upload' });
    const target = await this.finder.find();
    // A resumed upload carries this run's tags too (a created one's go out with its first files).
    if (target.kind === 'use' && target.resumed && !this.options.dryRun) await this.tag(target.upload);
    const upload = target.kind === 'create' ? await this.create(target) : target.upload;
    if (!upload) return { uploaded: 0, checks: [], dryRun: true };
    if (upload.status === 'OPEN') {
      const early = await this.deliver(upload, target);
      if (early) return early;
    } else if (this.options.dryRun) {
      return { upload, status: upload.status, uploaded: 0, checks: [], dryRun: true };
    } else {
      await this.checkHeld(upload);
    }
    return this.awaitChecks(upload);
  }

  /** A new upload, after those it replaces are deleted; in a dry run, only the plan (undefined). */
  private async create(target: Extract<Target, { kind: 'create' }>): Promise<Upload | undefined> {
    const { api, options } = this;
    // A new upload takes every byte; the uploads it replaces give theirs back.
    this.checkQuota(
      totalBytes(this.files),
      target.replacing.reduce((sum, u) => sum + (u.size ?? 0), 0),
    );
    if (options.dryRun) {
      const create = { replacing: target.replacing };
      this.emit({ type: 'plan', toSend: this.files, present: [], extra: [], prune: options.prune, create });
      return undefined;
    }
    for (const old of target.replacing) {
      await api.deleteUpload(old.id);
      this.emit({ type: 'deleted', upload: old });
    }
    const upload = await api.createUpload({ name: options.name, description: options.description, srs: options.srs }, target.existing);
    this.emit({ type: 'upload', upload, how: 'created' });
    return upload;
  }

  /**
   * Sends what an OPEN upload lacks, verifies its tree, sends the checksums and closes it; returns
   * early (a dry run, `close: false`) with the result, or undefined when the checks are next.
   */
  private async deliver(upload: Upload, target: Target): Promise<PublishResult | undefined> {
    const { api, options, transfer } = this;
    const created = target.kind === 'create';
    // A created upload's tags go out with its first files: one round trip less before the data.
    // Its tree is empty, so it is not read either (a racing run is told apart after the send).
    const tagging = created ? this.tag(upload) : undefined;
    tagging?.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
    const { toSend, present, stale, extra } = transfer.diff(created ? new Map<string, number>() : await api.tree(upload.id));
    this.emit({ type: 'plan', toSend, present, extra, prune: options.prune });
    // What a resumed upload holds already counts in `use`: only the bytes still to send need
    // room, and stale or pruned copies give theirs back.
    if (!created)
      this.checkQuota(totalBytes(toSend), [...stale.values()].reduce((a, b) => a + b, 0) + (options.prune ? totalBytes(extra) : 0));
    if (options.dryRun) return { upload, status: upload.status, uploaded: 0, checks: [], dryRun: true };
    for (const file of present) this.emit({ type: 'file', file, outcome: 'present', attempts: 0, ms: 0 });
    await transfer.prune(upload, extra);

    this.emit({ type: 'phase', phase: 'send', title: `Send ${toSend.length} file${toSend.length === 1 ? '' : 's'}` });
    await transfer.sendAll(upload, toSend, stale);
    await tagging;

    this.emit({ type: 'phase', phase: 'verify', title: 'Verify the remote tree' });
    // Two reads at once: the tree, and the list that tells whether another run raced this one.
    const [after] = await Promise.all([api.tree(upload.id), created ? this.finder.warnIfRaced(upload, target.existing) : undefined]);
    transfer.verify(after);
    this.emit({ type: 'info', message: `The upload holds all ${this.files.length} file(s), each with its size` });
    if (options.checksumFile) {
      this.emit({ type: 'phase', phase: 'checksums', title: 'Send MD5 checksums' });
      await transfer.sendChecksums(upload, after, options.checksumFile);
    }
    if (!options.close) return { upload, status: 'OPEN', uploaded: transfer.uploaded, checks: [], dryRun: false };

    this.emit({ type: 'phase', phase: 'close', title: 'Close the upload' });
    await api.close(upload.id);
    this.emit({ type: 'status', status: 'CHECKING' });
    this.emit({ type: 'info', message: `Upload ${upload.id} closed: it is CHECKING, the platform runs its checks` });
    return undefined;
  }

  /** An upload found CHECKING, CLOSED or UNSTABLE is never touched, only awaited: it must hold every file. */
  private async checkHeld(upload: Upload): Promise<void> {
    const { missing, wrongSize } = this.transfer.compare(await this.api.tree(upload.id));
    if (missing.length || wrongSize.length)
      throw new UploadStateError(
        `Upload ${upload.id} is ${upload.status} and does not hold every file (${list([...missing, ...wrongSize], 3)}); files cannot be added to it: reopen it, or publish with if-exists: create`,
      );
    for (const file of this.files) this.emit({ type: 'file', file, outcome: 'present', attempts: 0, ms: 0 });
  }

  /** The checks, awaited (or only the status read, with `wait-for-checks: false`), and described. */
  private async awaitChecks(upload: Upload): Promise<PublishResult> {
    const uploaded = this.transfer.uploaded;
    if (!this.options.waitForChecks) {
      const { status } = await this.api.getUpload(upload.id);
      this.emit({ type: 'status', status });
      return { upload, status, uploaded, checks: [], dryRun: false };
    }
    this.emit({ type: 'phase', phase: 'checks', title: 'Wait for the checks' });
    const checks = new Checks(this.api, this.options, this.emit);
    const last = await checks.awaitChecks(upload, upload.status === 'OPEN' ? 'CHECKING' : upload.status);
    return { upload, status: last.status, uploaded, checks: await checks.describeChecks(last.checks), dryRun: false };
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
}
