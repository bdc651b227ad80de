import path from 'node:path';
import type { Http, HttpRequest } from '../http.js';
import type { TokenSource } from '../auth.js';
import { inlineMd5, type Md5Hasher } from '../hash.js';
import { multipartFile } from './multipart.js';
import type {
  CheckExecution,
  CheckExecutionDetail,
  CheckStatus,
  DatastoreUsage,
  Membership,
  RemoteTree,
  Upload,
  UploadChecks,
} from './types.js';

/**
 * The API Entrepôt routes the action uses, one method each. Knows routes and shapes, not the
 * lifecycle; `publish` drives it. An interface, so tests can drive publish's branches with a fake.
 */
export interface EntrepotApi {
  listUploads(name: string): Promise<Upload[]>;
  getUpload(uploadId: string): Promise<Upload>;
  createUpload(fields: { name: string; description: string; srs: string }): Promise<Upload>;
  deleteUpload(uploadId: string): Promise<void>;
  addTags(uploadId: string, tags: Record<string, string>): Promise<void>;
  /** One attempt (the caller decides on retries); returns the MD5 of the bytes sent. */
  sendFile(
    uploadId: string,
    file: { localPath: string; remotePath: string; size: number },
    onProgress?: (bytes: number) => void,
  ): Promise<{ md5: string }>;
  deleteFile(uploadId: string, remotePath: string): Promise<void>;
  tree(uploadId: string): Promise<RemoteTree>;
  sendMd5(uploadId: string, fileName: string, content: string): Promise<void>;
  deleteMd5(uploadId: string, fileName: string): Promise<void>;
  close(uploadId: string): Promise<void>;
  checks(uploadId: string): Promise<UploadChecks>;
  execution(executionId: string): Promise<CheckExecutionDetail>;
  logs(executionId: string): Promise<string[]>;
  usage(): Promise<DatastoreUsage | undefined>;
  memberships(): Promise<Membership[]>;
}

/** Items per list page. The portal uses 100 (entrepot-api.md §2.2); the maximum is unknown. */
const LIST_PAGE_SIZE = 100;
/** Log lines per page; QGIS reads pages of 50 (§2.12). */
const LOG_PAGE_SIZE = 100;
/** A list longer than this many pages means the server ignores `page`: stop rather than loop. */
const MAX_PAGES = 10_000;
const UPLOAD_FIELDS = 'name,description,type,status,srs,size,last_event,tags,creation';

export class EntrepotClient implements EntrepotApi {
  private readonly base: string;
  private readonly root: string;

  constructor(
    private readonly http: Http,
    apiUrl: string,
    datastore: string,
    private readonly tokens: TokenSource,
    private readonly md5: Md5Hasher = inlineMd5,
  ) {
    this.root = apiUrl;
    this.base = `${apiUrl}/datastores/${encodeURIComponent(datastore)}`;
  }

  async listUploads(name: string): Promise<Upload[]> {
    const items = await this.getAll('/uploads', { name, fields: UPLOAD_FIELDS }, LIST_PAGE_SIZE);
    return items.map(toUpload).filter((u): u is Upload => u !== undefined);
  }

  async getUpload(uploadId: string): Promise<Upload> {
    const upload = toUpload((await this.call('GET', `/uploads/${encodeURIComponent(uploadId)}`)).body);
    if (!upload) throw new Error(`GET upload ${uploadId}: the answer has no _id`);
    return upload;
  }

  async createUpload(fields: { name: string; description: string; srs: string }): Promise<Upload> {
    // Only the documented fields: an unknown one can make creation fail (entrepot-api.md §2.1).
    const { body } = await this.call('POST', '/uploads', {
      json: { name: fields.name, description: fields.description, type: 'RASTER', srs: fields.srs },
      attempts: 1, // not idempotent: publish lists before trying again
    });
    const upload = toUpload(body);
    if (!upload) throw new Error('POST /uploads: the answer has no _id');
    return upload;
  }

  async deleteUpload(uploadId: string): Promise<void> {
    await this.call('DELETE', `/uploads/${encodeURIComponent(uploadId)}`);
  }

  async addTags(uploadId: string, tags: Record<string, string>): Promise<void> {
    await this.call('POST', `/uploads/${encodeURIComponent(uploadId)}/tags`, { json: tags });
  }

  async sendFile(
    uploadId: string,
    file: { localPath: string; remotePath: string; size: number },
    onProgress?: (bytes: number) => void,
  ): Promise<{ md5: string }> {
    let hash = this.md5.session();
    let sent = 0;
    await this.call('POST', `/uploads/${encodeURIComponent(uploadId)}/data`, {
      query: { path: file.remotePath },
      attempts: 1,
      body: () => {
        // A fresh stream and hash for each attempt, from the file's first byte.
        hash = this.md5.session();
        sent = 0;
        return multipartFile({ path: file.localPath, size: file.size }, path.basename(file.localPath), (chunk) => {
          sent += chunk.length;
          onProgress?.(sent);
          hash.update(chunk);
        });
      },
    });
    if (sent !== file.size) throw new Error(`${file.localPath} changed while it was sent (${sent} bytes read, ${file.size} expected)`);
    return { md5: hash.digest() };
  }

  async deleteFile(uploadId: string, remotePath: string): Promise<void> {
    await this.call('DELETE', `/uploads/${encodeURIComponent(uploadId)}/data`, { query: { path: remotePath } });
  }

  async tree(uploadId: string): Promise<RemoteTree> {
    const { body } = await this.call('GET', `/uploads/${encodeURIComponent(uploadId)}/tree`);
    return flattenTree(body);
  }

  async sendMd5(uploadId: string, fileName: string, content: string): Promise<void> {
    const bytes = Buffer.from(content, 'utf8');
    await this.call('POST', `/uploads/${encodeURIComponent(uploadId)}/md5`, { body: () => multipartFile({ content: bytes }, fileName) });
  }

  async deleteMd5(uploadId: string, fileName: string): Promise<void> {
    await this.call('DELETE', `/uploads/${encodeURIComponent(uploadId)}/md5`, { query: { path: fileName } });
  }

  async close(uploadId: string): Promise<void> {
    await this.call('POST', `/uploads/${encodeURIComponent(uploadId)}/close`, { json: {} });
  }

  async checks(uploadId: string): Promise<UploadChecks> {
    const { body } = await this.call('GET', `/uploads/${encodeURIComponent(uploadId)}/checks`);
    const record = (body ?? {}) as Record<string, unknown>;
    const read = (key: string, status: CheckStatus) =>
      (Array.isArray(record[key]) ? (record[key] as unknown[]) : []).map((item) => toExecution(item, status));
    return {
      asked: read('asked', 'WAITING'),
      inProgress: read('in_progress', 'PROGRESS'),
      passed: read('passed', 'SUCCESS'),
      failed: read('failed', 'FAILURE'),
    };
  }

  async execution(executionId: string): Promise<CheckExecutionDetail> {
    const { body } = await this.call('GET', `/checks/executions/${encodeURIComponent(executionId)}`);
    const record = (body ?? {}) as Record<string, unknown>;
    return {
      ...toExecution(record, normaliseCheckStatus(record.status)),
      start: typeof record.start === 'string' ? record.start : undefined,
      finish: typeof record.finish === 'string' ? record.finish : undefined,
    };
  }

  async logs(executionId: string): Promise<string[]> {
    const pages = await this.getAll(`/checks/executions/${encodeURIComponent(executionId)}/logs`, {}, LOG_PAGE_SIZE);
    // Logs are a JSON array of strings; some servers answer one string, or "" / "[]" for none.
    return pages
      .flatMap((item) => (typeof item === 'string' ? item.split('\n') : [JSON.stringify(item)]))
      .filter((line) => line !== '' && line !== '[]');
  }

  async usage(): Promise<DatastoreUsage | undefined> {
    const { body } = await this.call('GET', '');
    const storages = ((body ?? {}) as { storages?: Record<string, unknown> }).storages ?? {};
    // `upload` in the 2024 tutorial, `uploads` in the 2026 schema (entrepot-api.md §2.15).
    const upload = (storages.uploads ?? storages.upload) as { use?: unknown; quota?: unknown } | undefined;
    if (!upload || typeof upload.quota !== 'number') return undefined;
    return { use: Number(upload.use) || 0, quota: upload.quota };
  }

  /** The account's communities with their datastore and rights (`GET /users/me`, §1). */
  async memberships(): Promise<Membership[]> {
    const { body } = await this.http.send({
      method: 'GET',
      url: `${this.root}/users/me`,
      bearer: () => this.tokens.get(),
      onUnauthorized: (token) => this.tokens.invalidate(token),
    });
    const members = ((body ?? {}) as { communities_member?: unknown }).communities_member;
    return (Array.isArray(members) ? members : []).map((m: { community?: { name?: unknown; datastore?: unknown }; rights?: unknown }) => ({
      community: String(m.community?.name ?? '?'),
      datastore: typeof m.community?.datastore === 'string' ? m.community.datastore : undefined,
      rights: Array.isArray(m.rights) ? m.rights.map(String) : [],
    }));
  }

  /** Every item of a paginated list, following `Content-Range: first-last/total`. */
  private async getAll(route: string, query: Record<string, string>, limit: number): Promise<unknown[]> {
    const items: unknown[] = [];
    let previous = '';
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { body, headers } = await this.call('GET', route, { query: { ...query, page, limit } });
      const batch = Array.isArray(body) ? body : typeof body === 'string' && page === 1 ? [body] : [];
      // A server that ignores paging answers more than asked, or the same page again: stop there.
      const signature = JSON.stringify(batch);
      if (page > 1 && signature === previous) break;
      previous = signature;
      items.push(...batch);
      const total = parseContentRangeTotal(headers['content-range']);
      if (batch.length === 0 || batch.length > limit || (total !== undefined ? items.length >= total : batch.length < limit)) break;
    }
    return items;
  }

  private call(method: HttpRequest['method'], route: string, extra: Partial<HttpRequest> = {}) {
    return this.http.send({
      method,
      url: `${this.base}${route}`,
      bearer: () => this.tokens.get(),
      onUnauthorized: (token) => this.tokens.invalidate(token),
      ...extra,
    });
  }
}

/** `0-9/42` → 42; `*` or anything else → undefined (then a short page ends the list). */
export function parseContentRangeTotal(value: string | undefined): number | undefined {
  const match = /(\d+)\s*-\s*(\d+)\s*\/\s*(\d+)/.exec(value ?? '');
  return match ? Number(match[3]) : undefined;
}

export function flattenTree(body: unknown, prefix = ''): RemoteTree {
  const tree: RemoteTree = new Map();
  const walk = (nodes: unknown, at: string) => {
    if (!Array.isArray(nodes)) return;
    for (const node of nodes as Array<Record<string, unknown>>) {
      if (!node || typeof node.name !== 'string') continue;
      const here = at ? `${at}/${node.name}` : node.name;
      if (String(node.type).toUpperCase() === 'DIRECTORY' || Array.isArray(node.children)) walk(node.children, here);
      else tree.set(here, Number(node.size));
    }
  };
  walk(body, prefix);
  return tree;
}

function toUpload(item: unknown): Upload | undefined {
  if (!item || typeof item !== 'object') return undefined;
  const record = item as Record<string, unknown>;
  const id = record._id ?? record.id;
  if (typeof id !== 'string') return undefined;
  const lastEvent = record.last_event as { date?: unknown } | undefined;
  return {
    id,
    name: typeof record.name === 'string' ? record.name : '',
    status: typeof record.status === 'string' ? record.status.toUpperCase() : 'UNKNOWN',
    srs: typeof record.srs === 'string' ? record.srs : undefined,
    type: typeof record.type === 'string' ? record.type : undefined,
    lastEventDate: typeof lastEvent?.date === 'string' ? lastEvent.date : typeof record.creation === 'string' ? record.creation : undefined,
  };
}

function toExecution(item: unknown, status: CheckStatus): CheckExecution {
  const record = (item ?? {}) as { _id?: unknown; id?: unknown; check?: { name?: unknown; _id?: unknown }; name?: unknown };
  const id = String(record._id ?? record.id ?? '');
  const name = record.check?.name ?? record.name ?? record.check?._id ?? id;
  return { id, name: String(name), status };
}

function normaliseCheckStatus(value: unknown): CheckStatus {
  const status = String(value).toUpperCase();
  if (status === 'SUCCESS' || status === 'FAILURE' || status === 'PROGRESS') return status;
  if (status === 'ABORTED') return 'FAILURE';
  return 'WAITING';
}
