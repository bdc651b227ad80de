import type { TokenSource } from '../http/auth.js';
import { ApiError, BadResponseError } from '../shared/errors.js';
import { plainText } from '../shared/format.js';
import type { Http } from '../http/request.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';
import { untilAborted } from '../shared/abort.js';
import { isRecord, record, type JsonRecord } from './json.js';
import type { Reconciled, Retrier } from '../http/retry.js';

/**
 * What every route of the API Entrepôt shares: one attempt with a token (a 401 renews it once), a
 * 2xx answer read as the JSON the API returns (never an HTML page or an empty body taken for
 * "nothing"), every page of a list, the API's error bodies in words, and the run's retry policy.
 * The upload routes (`uploads.ts`) and the layer routes (`layers.ts`) are built on one transport.
 */

/** A list longer than this many pages means the server ignores `page`: stop rather than loop. */
const MAX_PAGES = 10_000;

export class Transport {
  /** The datastore's routes start here. */
  readonly base: string;

  constructor(
    private readonly http: Http,
    /** Every request goes through it; its signal (a deadline, the run's cancellation) cuts them. */
    readonly retry: Retrier,
    /** The API's root, for the routes outside a datastore (`/users/me`). */
    readonly root: string,
    private readonly datastore: string,
    private readonly tokens: TokenSource,
  ) {
    this.base = `${root}/datastores/${encodeURIComponent(datastore)}`;
  }

  /** The same transport, every request and wait bound to `signal` (a deadline). */
  within(signal: AbortSignal): Transport {
    return new Transport(this.http, this.retry.within(signal), this.root, this.datastore, this.tokens);
  }

  /**
   * A GET, retried on transient failures, whose 2xx answer must be JSON of the shape `read`
   * accepts: an unexpected shape is read again like a gateway's error page.
   */
  readJson<T>(what: string, route: string, read: (body: unknown) => T, root = this.base): Promise<T> {
    return this.retry.read(what, async () => read(parseJson(await this.request('GET', route, {}, root), 'GET', route)));
  }

  /**
   * Every page of a list, following `Content-Range: first-last/total`. `lenient` accepts one
   * string for a whole list (some servers answer logs so).
   */
  async getAll(route: string, query: Record<string, string>, limit: number, lenient = false): Promise<unknown[]> {
    const items: unknown[] = [];
    let previous = '';
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { body, headers } = await this.retry.read(`list ${route}`, async () => {
        const res = await this.request('GET', route, { query: { ...query, page, limit } });
        return { body: parseJson(res, 'GET', route), headers: res.headers };
      });
      if (!Array.isArray(body) && !(lenient && typeof body === 'string'))
        throw new BadResponseError('GET', route, `the answer is ${describeJson(body)}, not the list the API returns`);
      const batch: unknown[] = Array.isArray(body) ? body : page === 1 ? [body] : [];
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
   * Every item of a list, each read whole with `readWhole` (a list item is reduced: docs/api.md,
   * "List items"), except those `mayBeOurs` rules out from what the item says, and those whose item
   * already holds all the caller decides on (`fromItem` gives the entity then).
   */
  async listWhole<T>(
    route: string,
    query: Record<string, string>,
    limit: number,
    readWhole: (id: string) => Promise<T>,
    options: { what: string; mayBeOurs?: (item: JsonRecord) => boolean; fromItem?: (item: JsonRecord) => T | undefined },
  ): Promise<T[]> {
    const items = (await this.getAll(route, query, limit)).map(record).filter((item) => options.mayBeOurs?.(item) ?? true);
    return Promise.all(items.map(async (item) => options.fromItem?.(item) ?? readWhole(entityId(item, options.what))));
  }

  /**
   * A POST that makes an entity, at most once. Making is not idempotent: after an unknown outcome
   * or a 409, `findMade` looks for what this request would have made, and that is the result.
   */
  async create<T>(
    what: string,
    route: string,
    json: unknown,
    decode: (body: unknown) => T,
    findMade: () => Promise<T | undefined>,
  ): Promise<T> {
    return this.createWith(what, route, { json }, decode, findMade);
  }

  /** `create` with any body: a multipart file (a metadata record, an annex) as well as JSON. */
  async createWith<T>(
    what: string,
    route: string,
    extra: Partial<HttpRequest>,
    decode: (body: unknown) => T,
    findMade: () => Promise<T | undefined>,
  ): Promise<T> {
    const { value } = await this.retry.write(
      what,
      async () => decode(parseJson(await this.request('POST', route, extra), 'POST', route)),
      async (): Promise<Reconciled<T>> => {
        const made = await findMade();
        return made === undefined ? NOT_DONE : { done: true, value: made };
      },
    );
    return value;
  }

  /**
   * A change made at most once: after an unknown outcome (or one of `conflicts`, which a lost
   * earlier answer explains), `isDone` reads whether the server holds it before trying again.
   */
  async change(
    what: string,
    method: HttpRequest['method'],
    route: string,
    extra: Partial<HttpRequest>,
    isDone: () => Promise<boolean>,
    conflicts: readonly number[] = [],
  ): Promise<void> {
    await this.retry.write(
      what,
      async () => void (await this.request(method, route, extra)),
      async () => ((await isDone()) ? DONE : NOT_DONE),
      conflicts,
    );
  }

  /** Tags set on the entity at `route` (POST `…/tags`), confirmed by reading them back. */
  async tag(what: string, route: string, tags: Record<string, string>, readTags: () => Promise<Record<string, string>>): Promise<void> {
    await this.change(what, 'POST', `${route}/tags`, { json: tags }, async () => {
      const held = await readTags();
      return Object.entries(tags).every(([key, value]) => held[key] === value);
    });
  }

  /** A DELETE, idempotent: a second one answers 404, so gone (`isGone`, or a 404) is done. */
  async remove(what: string, route: string, isGone: () => Promise<boolean>, extra: Partial<HttpRequest> = {}): Promise<void> {
    await this.change(what, 'DELETE', route, extra, isGone, [404]);
  }

  /**
   * One attempt with a token; a 401 renews the token once (it expired early or was revoked).
   * A non-2xx answer becomes an ApiError with the API's words and a hint.
   */
  async request(method: HttpRequest['method'], route: string, extra: Partial<HttpRequest> = {}, root = this.base): Promise<HttpResponse> {
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
      hintFor(res.status),
      parseRetryAfter(res.headers['retry-after']),
    );
  }
}

const DONE = { done: true, value: undefined } as const;
const NOT_DONE = { done: false } as const;

/** `read`'s value, or undefined when the server answers 404 (the entity is gone). */
export async function unlessGone<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** An entity's id; an item without one is not that entity. */
export function entityId(fields: JsonRecord, what: string): string {
  const value = fields._id ?? fields.id;
  if (typeof value !== 'string' || !value) throw new BadResponseError('GET', what, `the answer is not ${what} (no _id)`);
  return value;
}

function hintFor(status: number): string | undefined {
  if (status === 401) return 'The token was refused: check the authentication inputs';
  if (status === 403) return 'The account lacks a right on this datastore: it needs the UPLOAD right in the community that owns it';
  if (status === 413) return 'The server refused the size of the request';
  return undefined;
}

/** A 2xx answer's JSON. HTML, an empty body or truncated JSON is an error, never "nothing". */
function parseJson(res: HttpResponse, method: string, route: string): unknown {
  try {
    return JSON.parse(res.text);
  } catch {
    const excerpt = plainText(res.text).slice(0, 80);
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

export function describeJson(value: unknown): string {
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
  if (isRecord(body)) {
    lines = strings(body.error_description);
    if (lines.length === 0) lines = strings(body.message);
    if (typeof body.error === 'string' && !lines.includes(body.error)) lines = lines.length ? lines : [body.error];
  } else if (typeof body === 'string') {
    const text = plainText(body);
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
