import { list, UploadStateError } from '../shared/errors.js';
import { newest } from '../entrepot/shapes.js';
import { BUSY_UPLOAD_STATUSES } from '../entrepot/status.js';
import type { Upload } from '../entrepot/types.js';
import type { UploadsApi } from '../entrepot/uploads.js';
import { PROVENANCE_KEYS } from '../shared/provenance.js';
import type { PublishEvent, PublishOptions } from './types.js';

/**
 * Which upload a run publishes into (docs/api.md, "Listing uploads"): the one `upload-id` names;
 * by name, per `if-exists`, an OPEN one to resume, a CHECKING one to await, this commit's CLOSED
 * one; or the decision to create one, and which uploads that replaces.
 */
export type Target =
  | { kind: 'use'; upload: Upload; resumed?: boolean }
  /** `existing`: the ids of the uploads of that name seen now, to recognise ours after a lost answer. */
  | { kind: 'create'; replacing: Upload[]; existing: Set<string> };

type TargetOptions = Pick<PublishOptions, 'uploadId' | 'name' | 'ifExists' | 'srs' | 'tags'>;

export class TargetFinder {
  constructor(
    private readonly api: UploadsApi,
    private readonly options: TargetOptions,
    private readonly emit: (event: PublishEvent) => void,
  ) {}

  /** The upload to use, or the decision to create one (and which uploads that replaces). */
  async find(): Promise<Target> {
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
        return { kind: 'use', upload: open, resumed: true };
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

  /** Another run may have created an upload of the same name at the same time: say so. */
  async warnIfRaced(upload: Upload, existing: ReadonlySet<string>): Promise<void> {
    const others = (await this.api.uploadsNamed(this.options.name)).filter(
      (u) => u.id !== upload.id && !existing.has(u.id) && u.status === 'OPEN',
    );
    if (others.length)
      this.emit({
        type: 'warning',
        message: `Another OPEN upload named '${this.options.name}' (${list(others.map((u) => u.id))}) appeared beside this run's upload ${upload.id}: two runs are publishing at once; give the workflow a concurrency group`,
      });
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
