import { BadResponseError, UploadStateError } from '../shared/errors.js';
import { array, isRecord, record, string } from './json.js';
import { newest, toCheckExecution, toUpload } from './shapes.js';
import { checkStatusOf, logLines, type CheckStatus } from './status.js';
import { describeJson, unlessGone, type Transport } from './transport.js';
import type { CheckExecutionDetail, RemoteTree, Upload, UploadChecks, UploadStatus } from './types.js';
import { UploadFiles, type ClientOptions, type OutgoingFile, type SentFile } from './upload-files.js';

/**
 * The upload routes the action uses, one method each (docs/api.md): the upload itself, its files,
 * its checks. Knows routes, shapes and how to tell whether a change was made after its answer was
 * lost; not the lifecycle, which `publish` drives. Every method that changes the datastore does so
 * at most once.
 */
export interface UploadsApi {
  /** Live uploads whose name is exactly `name` (the server's filter is pattern-like). */
  uploadsNamed(name: string): Promise<Upload[]>;
  getUpload(uploadId: string): Promise<Upload>;
  /** `existing`: ids of the uploads of that name seen before, to recognise ours after a lost answer. */
  createUpload(fields: { name: string; description: string; srs: string }, existing: ReadonlySet<string>): Promise<Upload>;
  deleteUpload(uploadId: string): Promise<void>;
  addTags(uploadId: string, tags: Record<string, string>): Promise<void>;
  sendFile(uploadId: string, file: OutgoingFile, onProgress?: (bytes: number) => void): Promise<SentFile>;
  deleteFile(uploadId: string, remotePath: string): Promise<void>;
  tree(uploadId: string): Promise<RemoteTree>;
  sendMd5(uploadId: string, fileName: string, content: string): Promise<void>;
  deleteMd5(uploadId: string, fileName: string): Promise<void>;
  close(uploadId: string): Promise<void>;
  checks(uploadId: string): Promise<UploadChecks>;
  execution(executionId: string): Promise<CheckExecutionDetail>;
  logs(executionId: string): Promise<string[]>;
  /** The same client, every request and wait bound to `signal` (a deadline). */
  within(signal: AbortSignal): UploadsApi;
}

/** Items per list page. The portal uses 100 (docs/api.md, "Listing uploads"); the maximum is unknown. */
const LIST_PAGE_SIZE = 100;
/** Log lines per page; QGIS reads pages of 50. */
const LOG_PAGE_SIZE = 100;
/**
 * What `publish` decides on for an upload found by name: which one to resume or await (status,
 * last_event), whether it is this commit's (tags), its projection (srs) and the bytes it frees
 * (size). The list's base fields lack most of them (docs/api.md, "List items"): they are asked with
 * `fields=`, and an item that comes without one of them is read whole, never taken as "none".
 */
const UPLOAD_DECISION_FIELDS = ['name', 'status', 'srs', 'size', 'tags', 'last_event'] as const;

export class UploadsClient implements UploadsApi {
  private readonly files: UploadFiles;

  constructor(
    private readonly transport: Transport,
    private readonly options: ClientOptions = {},
  ) {
    this.files = new UploadFiles(transport, options);
  }

  within(signal: AbortSignal): UploadsApi {
    return new UploadsClient(this.transport.within(signal), this.options);
  }

  // ---------------------------------------------------------------- uploads

  async uploadsNamed(name: string): Promise<Upload[]> {
    const uploads = await this.transport.listWhole(
      '/uploads',
      { name, fields: UPLOAD_DECISION_FIELDS.join(',') },
      LIST_PAGE_SIZE,
      (id) => this.getUpload(id),
      {
        what: 'an upload',
        // The name filter is pattern-like: an item that names another upload is not one of ours.
        mayBeOurs: (item) => typeof item.name !== 'string' || item.name === name,
        fromItem: (item) => (UPLOAD_DECISION_FIELDS.every((field) => field in item) ? toUpload(item, 'GET', '/uploads') : undefined),
      },
    );
    // DELETED uploads may or may not be listed (docs/api.md): never one to use.
    return uploads.filter((u) => u.name === name && u.status !== 'DELETED');
  }

  async getUpload(uploadId: string): Promise<Upload> {
    const route = uploadRoute(uploadId);
    return this.transport.readJson(`read upload ${uploadId}`, route, (body) => toUpload(body, 'GET', route));
  }

  async createUpload(fields: { name: string; description: string; srs: string }, existing: ReadonlySet<string>): Promise<Upload> {
    return this.transport.create(
      `create upload '${fields.name}'`,
      '/uploads',
      // Only the documented fields: an unknown one can make creation fail (docs/api.md).
      { name: fields.name, description: fields.description, type: 'RASTER', srs: fields.srs },
      (body) => toUpload(body, 'POST', '/uploads'),
      // Creating is not idempotent: an upload of that name that was not there before is ours.
      async () => newest((await this.uploadsNamed(fields.name)).filter((u) => !existing.has(u.id))),
    );
  }

  async deleteUpload(uploadId: string): Promise<void> {
    // The upload is gone when it reads DELETED or not at all.
    await this.transport.remove(
      `delete upload ${uploadId}`,
      uploadRoute(uploadId),
      async () => (await this.statusOrGone(uploadId)) === 'DELETED',
    );
  }

  async addTags(uploadId: string, tags: Record<string, string>): Promise<void> {
    await this.transport.tag(`tag upload ${uploadId}`, uploadRoute(uploadId), tags, async () => (await this.getUpload(uploadId)).tags);
  }

  // ---------------------------------------------------------------- files
  sendFile(uploadId: string, file: OutgoingFile, onProgress?: (bytes: number) => void): Promise<SentFile> {
    return this.files.sendFile(uploadId, file, onProgress);
  }

  deleteFile(uploadId: string, remotePath: string): Promise<void> {
    return this.files.deleteFile(uploadId, remotePath);
  }

  tree(uploadId: string): Promise<RemoteTree> {
    return this.files.tree(uploadId);
  }

  sendMd5(uploadId: string, fileName: string, content: string): Promise<void> {
    return this.files.sendMd5(uploadId, fileName, content);
  }

  deleteMd5(uploadId: string, fileName: string): Promise<void> {
    return this.files.deleteMd5(uploadId, fileName);
  }

  async close(uploadId: string): Promise<void> {
    // Close is not idempotent (a second one is refused): an upload no longer OPEN was closed.
    await this.transport.change(
      `close upload ${uploadId}`,
      'POST',
      `${uploadRoute(uploadId)}/close`,
      { json: {} },
      async () => {
        const status = await this.statusOrGone(uploadId);
        if (status === 'DELETED') throw new UploadStateError(`Upload ${uploadId} was deleted while it was being closed`);
        return status !== 'OPEN';
      },
      [409],
    );
  }

  // ---------------------------------------------------------------- checks

  async checks(uploadId: string): Promise<UploadChecks> {
    const route = `${uploadRoute(uploadId)}/checks`;
    return this.transport.readJson(`read the checks of ${uploadId}`, route, (body) => {
      if (!isRecord(body))
        throw new BadResponseError('GET', route, `the answer is ${describeJson(body)}, not the object of check lists the API returns`);
      const read = (key: string, status: CheckStatus) => array(body[key]).map((item) => toCheckExecution(item, status));
      return {
        asked: read('asked', 'WAITING'),
        inProgress: read('in_progress', 'PROGRESS'),
        passed: read('passed', 'SUCCESS'),
        failed: read('failed', 'FAILURE'),
      };
    });
  }

  async execution(executionId: string): Promise<CheckExecutionDetail> {
    return this.transport.readJson(
      `read check execution ${executionId}`,
      `/checks/executions/${encodeURIComponent(executionId)}`,
      (body) => {
        const fields = record(body);
        return { ...toCheckExecution(fields, checkStatusOf(fields.status)), start: string(fields.start), finish: string(fields.finish) };
      },
    );
  }

  async logs(executionId: string): Promise<string[]> {
    return logLines(await this.transport.getAll(`/checks/executions/${encodeURIComponent(executionId)}/logs`, {}, LOG_PAGE_SIZE, true));
  }

  /** The upload's status, or DELETED when the server no longer knows it. */
  private async statusOrGone(uploadId: string): Promise<UploadStatus> {
    return (await unlessGone(() => this.getUpload(uploadId)))?.status ?? 'DELETED';
  }
}

const uploadRoute = (uploadId: string) => `/uploads/${encodeURIComponent(uploadId)}`;
