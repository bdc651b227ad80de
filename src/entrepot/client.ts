import path from 'node:path';
import type { TokenSource } from '../auth.js';
import { ApiError, BadResponseError, LocalFileError, NetworkError, UploadStateError } from '../errors.js';
import { inlineMd5, type Md5Hasher } from '../hash.js';
import type { Http, HttpRequest, HttpResponse } from '../http.js';
import { abortError, Retrier, waitFor, type Reconciled } from '../retry.js';
import { assertUnchanged, multipartFile, type FileSource } from './multipart.js';
import { checkStatusOf, logLines, statusOf, UPLOAD_STATUSES, type CheckStatus } from './status.js';
import {
  type CheckExecution,
  type CheckExecutionDetail,
  type DatastoreUsage,
  type Membership,
  type RemoteTree,
  type Upload,
  type UploadChecks,
  type UploadStatus,
} from './types.js';

/** A local file to send, with where it goes in the upload. */
export interface OutgoingFile {
  localPath: string;
  /** How the file is named in errors (its path in the workspace). */
  label: string;
  remotePath: string;
  size: number;
  mtimeMs?: number;
}

export interface SentFile {
  /** MD5 of the bytes sent; undefined when the file was found stored after a lost answer. */
  md5?: string;
  attempts: number;
}

/**
 * The API Entrepôt routes the action uses, one method each. Knows routes, shapes, the API's error
 * bodies and hints, and how to tell whether a change was made after its answer was lost; not the
 * lifecycle, which `publish` drives. Every method that changes the datastore does so at most once.
 * An interface, so tests can drive publish's branches with a fake.
 */
export interface EntrepotApi {
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
  usage(): Promise<DatastoreUsage | undefined>;
  memberships(): Promise<Membership[]>;
  /** The same client, every request and wait bound to `signal` (a deadline). */
  within(signal: AbortSignal): EntrepotApi;
}

/** Items per list page. The portal uses 100 (docs/api.md, "Listing uploads"); the maximum is unknown. */
const LIST_PAGE_SIZE = 100;
/** Log lines per page; QGIS reads pages of 50. */
const LOG_PAGE_SIZE = 100;
/** A list longer than this many pages means the server ignores `page`: stop rather than loop. */
const MAX_PAGES = 10_000;
/**
 * What `publish` decides on for an upload found by name: which one to resume or await (status,
 * last_event), whether it is this commit's (tags), its projection (srs) and the bytes it frees
 * (size). The list's base fields lack most of them (docs/api.md, "List items"): they are asked with
 * `fields=`, and an item that comes without one of them is read whole, never taken as "none".
 */
const UPLOAD_DECISION_FIELDS = ['name', 'status', 'srs', 'size', 'tags', 'last_event'] as const;
/**
 * After a data POST whose answer was lost once its whole body had gone, the tree can take a while
 * to show the file (IGN's QGIS plugin waits for it): look for this long before sending it again.
 */
export const TREE_SETTLE_MS = 10_000;

export interface ClientOptions {
  md5?: Md5Hasher;
  /** How long to wait for the tree to show a file whose answer was lost (tests shorten it). */
  treeSettleMs?: number;
}

export class EntrepotClient implements EntrepotApi {
  private readonly base: string;

  constructor(
    protected readonly http: Http,
    protected readonly retry: Retrier,
    protected readonly apiUrl: string,
    protected readonly datastore: string,
    protected readonly tokens: TokenSource,
    protected readonly options: ClientOptions = {},
  ) {
    this.base = `${apiUrl}/datastores/${encodeURIComponent(datastore)}`;
  }

  within(signal: AbortSignal): EntrepotApi {
    return new EntrepotClient(this.http, this.retry.within(signal), this.apiUrl, this.datastore, this.tokens, this.options);
  }

  // ---------------------------------------------------------------- uploads

  async uploadsNamed(name: string): Promise<Upload[]> {
    const items = await this.getAll('/uploads', { name, fields: UPLOAD_DECISION_FIELDS.join(',') }, LIST_PAGE_SIZE);
    const uploads = await Promise.all(
      items.map(async (item) => {
        const record = asRecord(item);
        // The name filter is pattern-like: an item that names another upload is not one of ours.
        if (typeof record.name === 'string' && record.name !== name) return undefined;
        const listed = toUpload(item, 'GET', '/uploads');
        return UPLOAD_DECISION_FIELDS.every((field) => field in record) ? listed : this.getUpload(listed.id);
      }),
    );
    // DELETED uploads may or may not be listed (docs/api.md): never one to use.
    return uploads.filter((u): u is Upload => u !== undefined && u.name === name && u.status !== 'DELETED');
  }

  async getUpload(uploadId: string): Promise<Upload> {
    const route = this.uploadRoute(uploadId);
    return this.readJson(`read upload ${uploadId}`, route, (body) => toUpload(body, 'GET', route));
  }

  async createUpload(fields: { name: string; description: string; srs: string }, existing: ReadonlySet<string>): Promise<Upload> {
    const { value } = await this.retry.write(
      `create upload '${fields.name}'`,
      // Only the documented fields: an unknown one can make creation fail (docs/api.md).
      async () =>
        toUpload(
          parseJson(
            await this.request('POST', '/uploads', {
              json: { name: fields.name, description: fields.description, type: 'RASTER', srs: fields.srs },
            }),
            'POST',
            '/uploads',
          ),
          'POST',
          '/uploads',
        ),
      // Creating is not idempotent: an upload of that name that was not there before is ours.
      async (): Promise<Reconciled<Upload>> => {
        const made = newest((await this.uploadsNamed(fields.name)).filter((u) => !existing.has(u.id)));
        return made ? { done: true, value: made } : { done: false };
      },
    );
    return value;
  }

  async deleteUpload(uploadId: string): Promise<void> {
    const route = this.uploadRoute(uploadId);
    await this.retry.write(
      `delete upload ${uploadId}`,
      async () => void (await this.request('DELETE', route)),
      // A second DELETE answers 404: the upload is gone when it reads DELETED or not at all.
      async () => ((await this.statusOrGone(uploadId)) === 'DELETED' ? DONE : NOT_DONE),
      [404],
    );
  }

  async addTags(uploadId: string, tags: Record<string, string>): Promise<void> {
    await this.retry.write(
      `tag upload ${uploadId}`,
      async () => void (await this.request('POST', `${this.uploadRoute(uploadId)}/tags`, { json: tags })),
      async () => {
        const { tags: held } = await this.getUpload(uploadId);
        return Object.entries(tags).every(([key, value]) => held[key] === value) ? DONE : NOT_DONE;
      },
      [],
    );
  }

  // ---------------------------------------------------------------- files

  async sendFile(uploadId: string, file: OutgoingFile, onProgress?: (bytes: number) => void): Promise<SentFile> {
    let md5: string | undefined;
    let sent = 0;
    let body: ReturnType<typeof multipartFile> | undefined;
    const source: FileSource = { path: file.localPath, label: file.label, size: file.size, mtimeMs: file.mtimeMs };
    const send = async () => {
      const outcome = await this.retry.write(
        file.remotePath,
        async () => {
          md5 = undefined;
          let hash = this.md5.session();
          await this.request('POST', `${this.uploadRoute(uploadId)}/data`, {
            query: { path: file.remotePath },
            body: () => {
              // A fresh stream and hash for each attempt, from the file's first byte.
              hash = this.md5.session();
              sent = 0;
              return (body = multipartFile(source, path.basename(file.localPath), (chunk) => {
                sent += chunk.length;
                onProgress?.(sent);
                hash.update(chunk);
              }));
            },
          });
          md5 = hash.digest();
        },
        // The server may have stored it anyway (a 502 after the body went through). It can only
        // hold the whole file if every byte left; then, behind a gateway error or a lost answer,
        // the tree may lag (the S3 copy behind the 502): give it time. A 500 is the server's own.
        (error) => this.reconcileStored(uploadId, file.remotePath, file.size, sent === file.size && mayLag(error), 'data'),
      );
      // The server holds the bytes as they were read: the file must still be that one.
      await assertUnchanged(source, body?.read());
      return outcome;
    };
    const { attempts, reconciled } = await send().catch(async (error) => {
      // A file that changed while it was sent must not stay stored, whatever the server kept of it
      // (nothing can be there when not a byte left).
      if (error instanceof LocalFileError && sent > 0) await this.removeStray(uploadId, file.remotePath, 'data');
      throw error;
    });
    return { md5: reconciled ? undefined : md5, attempts };
  }

  async deleteFile(uploadId: string, remotePath: string): Promise<void> {
    await this.deleteStored(uploadId, remotePath, 'data');
  }

  async tree(uploadId: string): Promise<RemoteTree> {
    return this.readJson(`read the tree of ${uploadId}`, `${this.uploadRoute(uploadId)}/tree`, flattenTree);
  }

  async sendMd5(uploadId: string, fileName: string, content: string): Promise<void> {
    const bytes = Buffer.from(content, 'utf8');
    await this.retry.write(
      `send ${fileName}`,
      async () =>
        void (await this.request('POST', `${this.uploadRoute(uploadId)}/md5`, { body: () => multipartFile({ content: bytes }, fileName) })),
      (error) => this.reconcileStored(uploadId, fileName, bytes.length, mayLag(error), 'md5'),
    );
  }

  async deleteMd5(uploadId: string, fileName: string): Promise<void> {
    await this.deleteStored(uploadId, fileName, 'md5');
  }

  async close(uploadId: string): Promise<void> {
    await this.retry.write(
      `close upload ${uploadId}`,
      async () => void (await this.request('POST', `${this.uploadRoute(uploadId)}/close`, { json: {} })),
      // Close is not idempotent (a second one is refused): an upload no longer OPEN was closed.
      async () => {
        const status = await this.statusOrGone(uploadId);
        if (status === 'DELETED') throw new UploadStateError(`Upload ${uploadId} was deleted while it was being closed`);
        return status === 'OPEN' ? NOT_DONE : DONE;
      },
    );
  }

  // ---------------------------------------------------------------- checks

  async checks(uploadId: string): Promise<UploadChecks> {
    const route = `${this.uploadRoute(uploadId)}/checks`;
    return this.readJson(`read the checks of ${uploadId}`, route, (body) => {
      if (!body || typeof body !== 'object' || Array.isArray(body))
        throw new BadResponseError('GET', route, `the answer is ${describeJson(body)}, not the object of check lists the API returns`);
      const record = body as Record<string, unknown>;
      const read = (key: string, status: CheckStatus) =>
        (Array.isArray(record[key]) ? (record[key] as unknown[]) : []).map((item) => toExecution(item, status));
      return {
        asked: read('asked', 'WAITING'),
        inProgress: read('in_progress', 'PROGRESS'),
        passed: read('passed', 'SUCCESS'),
        failed: read('failed', 'FAILURE'),
      };
    });
  }

  async execution(executionId: string): Promise<CheckExecutionDetail> {
    const body = await this.readJson(`read check execution ${executionId}`, `/checks/executions/${encodeURIComponent(executionId)}`);
    const record = (body ?? {}) as Record<string, unknown>;
    return {
      ...toExecution(record, checkStatusOf(record.status)),
      start: typeof record.start === 'string' ? record.start : undefined,
      finish: typeof record.finish === 'string' ? record.finish : undefined,
    };
  }

  async logs(executionId: string): Promise<string[]> {
    return logLines(await this.getAll(`/checks/executions/${encodeURIComponent(executionId)}/logs`, {}, LOG_PAGE_SIZE, true));
  }

  // ---------------------------------------------------------------- datastore and account

  async usage(): Promise<DatastoreUsage | undefined> {
    const body = await this.readJson('read the datastore', '');
    const storages = ((body ?? {}) as { storages?: Record<string, unknown> }).storages ?? {};
    // `upload` in the 2024 tutorial, `uploads` in the 2026 schema (docs/api.md).
    const upload = (storages.uploads ?? storages.upload) as { use?: unknown; quota?: unknown } | undefined;
    if (!upload || typeof upload.quota !== 'number') return undefined;
    return { use: Number(upload.use), quota: upload.quota };
  }

  /** The account's communities with their datastore and rights (`GET /users/me`). */
  async memberships(): Promise<Membership[]> {
    const body = await this.readJson('read the account', '/users/me', (json) => json, this.apiUrl);
    const members = ((body ?? {}) as { communities_member?: unknown }).communities_member;
    return (Array.isArray(members) ? members : []).map((m: { community?: { name?: unknown; datastore?: unknown }; rights?: unknown }) => ({
      community: String(m.community?.name ?? '?'),
      datastore: typeof m.community?.datastore === 'string' ? m.community.datastore : undefined,
      rights: Array.isArray(m.rights) ? m.rights.map(String) : [],
    }));
  }

  // ---------------------------------------------------------------- reconcile steps

  /**
   * Whether `remotePath` is stored whole after a lost answer. A copy of another size is partial:
   * it is deleted so that the next attempt starts clean.
   */
  private async reconcileStored(
    uploadId: string,
    remotePath: string,
    size: number,
    /** The whole body left and the answer was lost or a gateway's: the tree may show the file later. */
    mayLag: boolean,
    kind: 'data' | 'md5' = 'data',
  ): Promise<Reconciled<void>> {
    const read = () => this.tree(uploadId).then((tree) => tree.get(remotePath));
    const held = mayLag
      ? await waitFor(read, (s) => s === size, this.options.treeSettleMs ?? TREE_SETTLE_MS, this.retry.signal)
      : await read();
    if (held === size) return DONE;
    if (held !== undefined) await this.deleteStored(uploadId, remotePath, kind);
    return { done: false, retry: true };
  }

  /** DELETE a stored file at most once: it is gone when the tree no longer lists it. */
  private async deleteStored(uploadId: string, remotePath: string, kind: 'data' | 'md5'): Promise<void> {
    await this.retry.write(
      `delete ${remotePath}`,
      async () => void (await this.request('DELETE', `${this.uploadRoute(uploadId)}/${kind}`, { query: { path: remotePath } })),
      async () => ((await this.tree(uploadId)).has(remotePath) ? NOT_DONE : DONE),
      [404],
    );
  }

  /**
   * Removes whatever an aborted or changed send left at `remotePath`. A server may store what it got
   * of an abandoned body a moment later (the S3 copy behind a 502): the tree is watched as after a
   * lost answer, for `treeSettleMs`, before deciding that nothing is there.
   */
  private async removeStray(uploadId: string, remotePath: string, kind: 'data' | 'md5'): Promise<void> {
    const read = () => this.tree(uploadId).then((tree) => tree.has(remotePath));
    const held = await waitFor(read, (has) => has, this.options.treeSettleMs ?? TREE_SETTLE_MS, this.retry.signal);
    if (held) await this.deleteStored(uploadId, remotePath, kind);
  }

  /** The upload's status, or DELETED when the server no longer knows it. */
  protected async statusOrGone(uploadId: string): Promise<UploadStatus> {
    try {
      return (await this.getUpload(uploadId)).status;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return 'DELETED';
      throw error;
    }
  }

  // ---------------------------------------------------------------- requests

  private get md5(): Md5Hasher {
    return this.options.md5 ?? inlineMd5;
  }

  private uploadRoute(uploadId: string): string {
    return `/uploads/${encodeURIComponent(uploadId)}`;
  }

  /**
   * A GET, retried on transient failures, whose 2xx answer must be JSON of the shape `read`
   * accepts: an unexpected shape is read again like a gateway's error page.
   */
  protected readJson<T = unknown>(
    what: string,
    route: string,
    read: (body: unknown) => T = (body) => body as T,
    root = this.base,
  ): Promise<T> {
    return this.retry.read(what, async () => read(parseJson(await this.request('GET', route, {}, root), 'GET', route)));
  }

  /**
   * Every page of a list, following `Content-Range: first-last/total`. `lenient` accepts one
   * string for a whole list (some servers answer logs so).
   */
  protected async getAll(route: string, query: Record<string, string>, limit: number, lenient = false): Promise<unknown[]> {
    const items: unknown[] = [];
    let previous = '';
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { body, headers } = await this.retry.read(`list ${route}`, async () => {
        const res = await this.request('GET', route, { query: { ...query, page, limit } });
        return { body: parseJson(res, 'GET', route), headers: res.headers };
      });
      if (!Array.isArray(body) && !(lenient && typeof body === 'string'))
        throw new BadResponseError('GET', route, `the answer is ${describeJson(body)}, not the list the API returns`);
      const batch = Array.isArray(body) ? body : page === 1 ? [body] : [];
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

  /**
   * One attempt with a token; a 401 renews the token once (it expired early or was revoked).
   * A non-2xx answer becomes an ApiError with the API's words and a hint.
   */
  protected async request(
    method: HttpRequest['method'],
    route: string,
    extra: Partial<HttpRequest> = {},
    root = this.base,
  ): Promise<HttpResponse> {
    const signal = this.retry.signal;
    const once = async () => {
      const token = await untilAborted(this.tokens.get(), signal);
      return { token, res: await this.http.send({ method, url: `${root}${route}`, bearer: token, signal, ...extra }) };
    };
    let { token, res } = await once();
    if (res.status === 401) {
      this.tokens.invalidate(token);
      ({ token, res } = await once());
    }
    if (res.status >= 200 && res.status < 300) return res;
    throw new ApiError(
      res.status,
      method,
      new URL(`${root}${route}`).pathname,
      errorDetails(parseLoose(res.text)),
      1,
      hintFor(res.status),
      parseRetryAfter(res.headers['retry-after']),
    );
  }
}

/** An answer lost, or a gateway's: the server behind may still be storing what it got. */
function mayLag(error: unknown): boolean {
  return (
    error instanceof NetworkError ||
    error instanceof BadResponseError ||
    (error instanceof ApiError && (error.status === 502 || error.status === 504))
  );
}

const DONE = { done: true, value: undefined } as const;
const NOT_DONE = { done: false } as const;

/** Waits for `promise`, or throws the abort's error first (a deadline during a token request). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function hintFor(status: number): string | undefined {
  if (status === 401) return 'The token was refused: check the authentication inputs';
  if (status === 403) return 'The account lacks a right on this datastore: it needs the UPLOAD right in the community that owns it';
  if (status === 413) return 'The server refused the size of the request';
  return undefined;
}

/** A 2xx answer's JSON. HTML, an empty body or truncated JSON is an error, never "nothing". */
export function parseJson(res: HttpResponse, method: string, route: string): unknown {
  try {
    return JSON.parse(res.text);
  } catch {
    const excerpt = res.text
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 80);
    throw new BadResponseError(
      method,
      route,
      res.text.trim() === ''
        ? `HTTP ${res.status} with an empty answer where the API returns JSON`
        : `HTTP ${res.status} with an answer that is not JSON (${res.headers['content-type'] ?? 'no content type'}: ${excerpt}${res.text.length > 80 ? '…' : ''})`,
    );
  }
}

/** An error body as JSON when it is JSON, else its text. */
function parseLoose(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describeJson(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * The API's error lines, whatever the body's shape: `{error_description: [..] | ".."}`, `{error}`,
 * `{message}`, a bare array or string, or a gateway's HTML page.
 */
export function errorDetails(body: unknown): string[] {
  const strings = (value: unknown): string[] =>
    Array.isArray(value) ? value.flatMap(strings) : typeof value === 'string' ? [value] : value == null ? [] : [JSON.stringify(value)];
  let lines: string[];
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    lines = strings(record.error_description);
    if (lines.length === 0) lines = strings(record.message);
    if (typeof record.error === 'string' && !lines.includes(record.error)) lines = lines.length ? lines : [record.error];
  } else if (typeof body === 'string') {
    const text = body
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    lines = text ? [text.length > 200 ? `${text.slice(0, 200)}…` : text] : [];
  } else {
    lines = strings(body);
  }
  return lines.map((line) => line.replace(/\s+/g, ' ').trim()).filter(Boolean);
}

/** Milliseconds from `Retry-After` (delta-seconds or an HTTP date), if any. */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** `0-9/42` → 42; `*` or anything else → undefined (then a short page ends the list). */
export function parseContentRangeTotal(value: string | undefined): number | undefined {
  const match = /(\d+)\s*-\s*(\d+)\s*\/\s*(\d+)/.exec(value ?? '');
  return match ? Number(match[3]) : undefined;
}

export function flattenTree(body: unknown, prefix = ''): RemoteTree {
  if (!Array.isArray(body))
    throw new BadResponseError('GET', '…/tree', `the answer is ${describeJson(body)}, not the list the API returns`);
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

/** A JSON value as an object whose keys can be asked for; anything else as an empty one. */
export function asRecord(value: unknown): Record<string, unknown> {
  return (value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
}

/** An upload from the API's JSON; an answer without an id is not one. */
function toUpload(item: unknown, method: string, route: string): Upload {
  const record = asRecord(item);
  const id = record._id ?? record.id;
  if (typeof id !== 'string' || !id)
    throw new BadResponseError(method, route, `the answer is not an upload (no _id): ${JSON.stringify(item)?.slice(0, 80)}`);
  const lastEvent = record.last_event as { date?: unknown } | undefined;
  const rawStatus = typeof record.status === 'string' ? record.status.toUpperCase() : String(record.status);
  const status: UploadStatus = statusOf(rawStatus, UPLOAD_STATUSES);
  const tags =
    record.tags && typeof record.tags === 'object' && !Array.isArray(record.tags) ? (record.tags as Record<string, unknown>) : {};
  return {
    id,
    name: typeof record.name === 'string' ? record.name : '',
    status,
    rawStatus,
    srs: typeof record.srs === 'string' ? record.srs : undefined,
    type: typeof record.type === 'string' ? record.type : undefined,
    size: typeof record.size === 'number' ? record.size : undefined,
    tags: Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, String(v)])),
    lastEventDate: typeof lastEvent?.date === 'string' ? lastEvent.date : typeof record.creation === 'string' ? record.creation : undefined,
  };
}

/** The most recently active of `uploads`. */
export function newest(uploads: Upload[]): Upload | undefined {
  return [...uploads].sort((a, b) => (b.lastEventDate ?? '').localeCompare(a.lastEventDate ?? ''))[0];
}

function toExecution(item: unknown, status: CheckStatus): CheckExecution {
  const record = (item ?? {}) as { _id?: unknown; id?: unknown; check?: { name?: unknown; _id?: unknown }; name?: unknown };
  const id = String(record._id ?? record.id ?? '');
  const name = record.check?.name ?? record.name ?? record.check?._id ?? id;
  return { id, name: String(name), status };
}
