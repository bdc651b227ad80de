import busboy from 'busboy';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createReadStream } from 'node:fs';
import { RASTER_CHECK, rasterCheck, STANDARD_CHECK, standardCheck } from './checks.js';
import { Faults, type FaultKind } from './faults.js';
import { drain, HttpError, readText } from './http.js';
import { LayerRoutes, type LayerOptions } from './layers.js';
import { listItem, pageOf, type ListMode } from './lists.js';
import { Store, type ExecutionRecord, type UploadRecord } from './store.js';

/** The public password-grant client (docs/api.md, "Authentication"). */
const PUBLIC_CLIENT = { id: 'gpf-warehouse', secret: 'BK2G7Vvkn7UDc8cV7edbCnHdYminWVw2' };
export const TOKEN_PATH = '/realms/geoplateforme/protocol/openid-connect/token';

export interface EmulatorOptions {
  port?: number;
  host?: string;
  /** Where uploaded files are written; a temporary folder by default (removed on stop). */
  dataDir?: string;
  datastore?: string;
  /** Bearer tokens accepted forever (the `token` input). */
  staticTokens?: string[];
  /** Service accounts for the client-credentials grant. */
  clients?: Array<{ id: string; secret: string }>;
  /** Accounts for the password grant (client gpf-warehouse); `totpSecret` turns 2FA on. */
  users?: Array<{ username: string; password: string; totpSecret?: string }>;
  /** Lifetime of issued tokens (`expires_in`). */
  tokenTtlSeconds?: number;
  /** Rights of the account in the datastore's community. */
  rights?: string[];
  /** Upload quota in bytes. */
  quota?: number;
  /** `uploads` as in the 2026 schema, or `upload` as in the 2024 tutorial (docs/api.md, "Quota"). */
  storageKey?: 'uploads' | 'upload';
  /** Time from close until the executions are registered: lists stay empty meanwhile (docs/api.md, "Checks"). */
  checkRegistrationDelayMs?: number;
  /** Time from registration until each check finishes (half WAITING, half PROGRESS). */
  checkDurationMs?: number;
  /** List DELETED uploads too (the docs are unsure whether the API does; docs/api.md, "Listing uploads"). */
  listDeleted?: boolean;
  /** Answer every list in full, ignoring page and limit, without Content-Range (a variant to survive). */
  ignorePaging?: boolean;
  /** Honour `limit` but not `page`: every page is the first, without Content-Range (a variant to survive). */
  ignorePage?: boolean;
  /**
   * The fields of list items (emulator/lists.ts): `base` as the API (its list DTO's base fields, or
   * those `fields=` names plus `_id`), `ignore-fields` (base fields whatever is asked: a variant to
   * survive), or `whole` objects (debugging only: it hides what the real lists lack).
   */
  listFields?: ListMode;
  /** Refuse a data POST to a path that already holds a file (409), instead of overwriting it. */
  refuseOverwrite?: boolean;
  /**
   * What arrives of a body cut by a `resetMidBody` fault is kept as a truncated file unless this is
   * false; when it is true, so is what arrives of a body the client abandons (a harsh server).
   */
  keepPartialFiles?: boolean;
  /** With `keepPartialFiles: true`, what arrived of an abandoned body is stored only this much later. */
  strayDelayMs?: number;
  /** A file stored under a `storeThen` fault (its answer lost) shows in the tree only this much later. */
  treeLagMs?: number;
  /** Seed for probabilistic faults. */
  random?: () => number;
  /** Serve HTTPS with this key and certificate (PEM), e.g. to test NODE_EXTRA_CA_CERTS. */
  tls?: { key: string; cert: string };
  /** The pyramid, configuration and offering routes: timings and a forced failure. */
  layers?: LayerOptions;
  /** Added before every answer, as a runner far from the API sees (the benchmark's latency). */
  latencyMs?: number;
}

export interface RequestRecord {
  method: string;
  route: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** The bearer token sent was known but expired. */
  expiredToken: boolean;
  token?: string;
  /** The fault injected into this request, by kind (`status`, `reset`, `storeThen`...). */
  fault?: string;
  /** The client's port: tells which connection (direct, or a proxy's) carried the request. */
  remotePort?: number;
  /** With an endless body: the bytes written before the client went away. */
  bytesAnswered?: number;
  time: number;
}

interface Route {
  name: string;
  method: string;
  pattern: RegExp;
  auth: boolean;
  handler: (ctx: Context) => Promise<void> | void;
}

interface Context {
  req: IncomingMessage;
  res: ServerResponse;
  params: string[];
  query: URLSearchParams;
  fault?: FaultKind;
}

/**
 * An emulator of the API Entrepôt's upload routes and of the Keycloak token endpoint, faithful to
 * docs/api.md: a real HTTP server that streams uploads to disk, runs checks
 * asynchronously, paginates, expires tokens and injects faults.
 */
export class Emulator {
  readonly faults: Faults;
  readonly requests: RequestRecord[] = [];
  readonly tokensIssued: Array<{ grant: string; token: string; at: number }> = [];
  readonly datastore: string;
  store!: Store;
  private server?: http.Server;
  private sockets = new Set<Socket>();
  private timers = new Set<NodeJS.Timeout>();
  /** Set by stop(): work still under way then is dropped quietly. */
  private stopped = false;
  /** Requests whose handler has not returned yet (a stray body being stored, say). */
  private inFlight = 0;
  private tokens = new Map<string, number>(); // token -> expiry (ms epoch)
  private ownsDataDir = false;
  private readonly routes: Route[];
  /** Processings, executions, stored data, configurations, endpoints and offerings. */
  readonly layers: LayerRoutes;
  url = '';

  constructor(private readonly options: EmulatorOptions = {}) {
    this.datastore = options.datastore ?? '5b1a0b8e-3c2d-4f5e-8a9b-0c1d2e3f4a5b';
    this.faults = new Faults(options.random);
    for (const token of options.staticTokens ?? []) this.tokens.set(token, Number.POSITIVE_INFINITY);
    const ds = `/api/datastores/([^/]+)`;
    const up = `${ds}/uploads/([^/]+)`;
    const r = (name: string, method: string, pattern: string, handler: Route['handler'], auth = true): Route => ({
      name,
      method,
      pattern: new RegExp(`^${pattern}$`),
      handler,
      auth,
    });
    this.layers = new LayerRoutes(
      () => this.store,
      (c, status, body) => this.json(c, status, body),
      (ms, task) => this.later(ms, task),
      { ...options.layers }, // a copy: a test changes it for one emulator only
      () => `${this.url}/geopf`,
      () => this.listing,
    );
    this.routes = [
      r('token', 'POST', TOKEN_PATH, (c) => this.token(c), false),
      ...this.layers.routes(ds).map((route) => r(route.name, route.method, route.pattern, route.handler)),
      r('me', 'GET', '/api/users/me', (c) => this.me(c)),
      r('datastore', 'GET', ds, (c) => this.datastoreInfo(c)),
      r('listUploads', 'GET', `${ds}/uploads`, (c) => this.listUploads(c)),
      r('createUpload', 'POST', `${ds}/uploads`, (c) => this.createUpload(c)),
      r('getUpload', 'GET', up, (c) => this.json(c, 200, this.store.view(this.upload(c)))),
      r('deleteUpload', 'DELETE', up, (c) => this.deleteUpload(c)),
      r('tags', 'POST', `${up}/tags`, (c) => this.addTags(c)),
      r('postData', 'POST', `${up}/data`, (c) => this.receiveFile(c, 'data')),
      r('deleteData', 'DELETE', `${up}/data`, (c) => this.deleteFile(c, 'data')),
      r('getData', 'GET', `${up}/data`, (c) => this.downloadFile(c)),
      r('postMd5', 'POST', `${up}/md5`, (c) => this.receiveFile(c, 'md5')),
      r('deleteMd5', 'DELETE', `${up}/md5`, (c) => this.deleteFile(c, 'md5')),
      r('tree', 'GET', `${up}/tree`, (c) => this.json(c, 200, this.store.tree(this.upload(c)))),
      r('close', 'POST', `${up}/close`, (c) => this.close(c)),
      r('open', 'POST', `${up}/open`, (c) => this.reopen(c)),
      r('checks', 'GET', `${up}/checks`, (c) => this.uploadChecks(c)),
      r('execution', 'GET', `${ds}/checks/executions/([^/]+)`, (c) => this.json(c, 200, this.executionView(this.execution(c)))),
      r('logs', 'GET', `${ds}/checks/executions/([^/]+)/logs`, (c) => this.logs(c)),
    ];
  }

  async start(): Promise<string> {
    const dataDir = this.options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'entrepot-emulator-')));
    this.ownsDataDir = !this.options.dataDir;
    this.store = new Store(dataDir);
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = this.options.tls ? https.createServer(this.options.tls, handler) : http.createServer(handler);
    this.server.keepAliveTimeout = 30_000;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve) => this.server?.listen(this.options.port ?? 0, host, resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `${this.options.tls ? 'https' : 'http'}://${host}:${port}`;
    return this.url;
  }

  get apiUrl(): string {
    return `${this.url}/api`;
  }

  get tokenUrl(): string {
    return `${this.url}${TOKEN_PATH}`;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    // A handler may still be writing a partial file: retry while the folder fills under us.
    if (this.ownsDataDir) await rm(this.store.dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }

  /** How lists answer: the fields of their items and the paging variant. */
  private get listing() {
    const { listFields = 'base', ignorePaging, ignorePage } = this.options;
    return { mode: listFields, ignorePaging, ignorePage };
  }

  /** Live (non-DELETED) uploads, for assertions. */
  liveUploads(): UploadRecord[] {
    return [...this.store.uploads.values()].filter((u) => u.status !== 'DELETED');
  }

  /** Resolves when no check is pending anywhere. */
  async idle(): Promise<void> {
    while (this.timers.size > 0) await new Promise((r) => setTimeout(r, 20));
  }

  /**
   * Resolves when every request handler has returned: what a server does after the client went
   * away (store a stray body) is done. Tests assert on the store after this, not before.
   */
  async settled(): Promise<void> {
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 20));
  }

  // ---------------------------------------------------------------- dispatch

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    try {
      await this.dispatch(req, res);
    } finally {
      this.inFlight--;
    }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    const match = this.routes
      .map((route) => ({ route, m: route.method === method ? route.pattern.exec(url.pathname) : null }))
      .find((x) => x.m);
    const record: RequestRecord = {
      method,
      route: match?.route.name ?? 'unknown',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      expiredToken: false,
      remotePort: req.socket.remotePort,
      time: Date.now(),
    };
    this.requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    try {
      if (!match?.m) {
        const known = this.routes.some((route) => route.pattern.test(url.pathname));
        throw new HttpError(known ? 405 : 404, [`No route for ${method} ${url.pathname}`]);
      }
      if (match.route.auth) this.authenticate(req, record);
      const ds = match.m[1];
      if (match.route.auth && url.pathname.startsWith('/api/datastores/') && ds !== this.datastore)
        throw new HttpError(404, [`Le datastore ${ds} n'existe pas`]);
      if (match.route.auth && url.pathname.startsWith('/api/datastores/') && !(this.options.rights ?? ['UPLOAD']).includes('UPLOAD'))
        throw new HttpError(403, ["Vous n'avez pas les droits nécessaires (UPLOAD) sur ce datastore"]);

      if (this.options.latencyMs) await new Promise((r) => setTimeout(r, this.options.latencyMs));
      const fault = this.faults.pick(match.route.name, method, url.searchParams.get('path') ?? undefined);
      if (fault) record.fault = Object.keys(fault)[0];
      if (fault && 'delayMs' in fault) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault && 'reset' in fault) {
        req.socket.destroy();
        return;
      }
      if (fault && 'stall' in fault) {
        req.pause();
        return;
      }
      if (fault && 'status' in fault) {
        const received = await readText(req);
        const headers: Record<string, string> = { 'content-type': fault.contentType ?? 'application/json' };
        if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
        if (fault.location) headers.location = fault.location;
        // A careless endpoint that quotes the request back (a token endpoint echoing the form).
        const description = `Erreur injectée ${fault.status}${fault.echoRequest ? ` pour la requête ${received}` : ''}`;
        res.writeHead(fault.status, headers).end(fault.body ?? JSON.stringify({ error_description: [description] }));
        return;
      }
      if (fault && 'endlessBody' in fault) {
        await drain(req);
        record.bytesAnswered = 0;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('[');
        const chunk = Buffer.from(`${JSON.stringify({ _id: 'x'.repeat(1000) })},`.repeat(64));
        // Writes as long as the client reads; stops when it goes away.
        const pump = () => {
          while (!res.destroyed && res.write(chunk)) record.bytesAnswered = (record.bytesAnswered ?? 0) + chunk.length;
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
        return;
      }
      if (fault && 'hangBody' in fault) {
        await drain(req);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('[{"_id":'); // and nothing more, ever
        return;
      }
      await match.route.handler({ req, res, params: match.m.slice(1), query: url.searchParams, fault });
    } catch (error) {
      if (res.headersSent || req.socket.destroyed) return;
      await drain(req).catch(() => undefined);
      const status = error instanceof HttpError ? error.status : 500;
      const descriptions = error instanceof HttpError ? error.descriptions : [`Erreur interne : ${(error as Error).message}`];
      if (status === 401) res.setHeader('www-authenticate', 'Bearer');
      this.json({ res }, status, { error_description: descriptions });
    }
  }

  private authenticate(req: IncomingMessage, record: RequestRecord): void {
    const header = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    if (!token) throw new HttpError(401, ['Authentification requise']);
    record.token = token;
    const expiry = this.tokens.get(token);
    if (expiry === undefined) throw new HttpError(401, ['Jeton invalide']);
    if (Date.now() >= expiry) {
      record.expiredToken = true;
      throw new HttpError(401, ['Jeton expiré']);
    }
  }

  // ---------------------------------------------------------------- token endpoint (Keycloak)

  private async token(c: Context): Promise<void> {
    const form = new URLSearchParams(await readText(c.req));
    const grant = form.get('grant_type');
    const refuse = (status: number, error: string, description: string) => this.json(c, status, { error, error_description: description });
    if (grant === 'client_credentials') {
      const client = (this.options.clients ?? []).find((k) => k.id === form.get('client_id'));
      if (!client || client.secret !== form.get('client_secret'))
        return refuse(401, 'invalid_client', 'Invalid client or Invalid client credentials');
    } else if (grant === 'password') {
      if (form.get('client_id') !== PUBLIC_CLIENT.id || form.get('client_secret') !== PUBLIC_CLIENT.secret)
        return refuse(401, 'invalid_client', 'Invalid client or Invalid client credentials');
      const user = (this.options.users ?? []).find((u) => u.username === form.get('username'));
      if (!user || user.password !== form.get('password')) return refuse(401, 'invalid_grant', 'Invalid user credentials');
      if (user.totpSecret && !validTotp(user.totpSecret, form.get('totp') ?? ''))
        return refuse(401, 'invalid_grant', 'Invalid user credentials');
    } else {
      return refuse(400, 'unsupported_grant_type', 'Unsupported grant_type');
    }
    const ttl = this.options.tokenTtlSeconds ?? 300;
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, Date.now() + ttl * 1000);
    this.tokensIssued.push({ grant: grant as string, token, at: Date.now() });
    this.json(c, 200, { access_token: token, expires_in: ttl, refresh_expires_in: ttl, token_type: 'Bearer', scope: 'profile email' });
  }

  // ---------------------------------------------------------------- datastore and user

  private me(c: Context): void {
    this.json(c, 200, {
      _id: 'emulator-user',
      email: 'emulator@example.org',
      communities_member: [
        {
          community: { _id: 'community-1', name: 'Emulated community', datastore: this.datastore },
          rights: this.options.rights ?? ['UPLOAD'],
        },
      ],
    });
  }

  private datastoreInfo(c: Context): void {
    const quota = this.options.quota ?? 10_000_000_000;
    this.json(c, 200, {
      _id: this.datastore,
      name: 'Emulated datastore',
      active: true,
      storages: {
        data: [],
        [this.options.storageKey ?? 'uploads']: { use: this.store.usedBytes(), quota, storage: { type: 'FILESYSTEM' } },
        [this.options.storageKey === 'upload' ? 'annexe' : 'annexes']: { use: 0, quota },
      },
      checks: [RASTER_CHECK, STANDARD_CHECK],
      ...this.layers.datastoreFields(),
    });
  }

  // ---------------------------------------------------------------- uploads

  private listUploads(c: Context): void {
    const name = c.query.get('name');
    const status = c.query.get('status');
    // Pattern-like filter: contains, case-insensitive, `_` any one character, `%` any run (docs/api.md, "Listing uploads").
    const pattern = name
      ? new RegExp(
          name
            .split('')
            .map((ch) => (ch === '_' ? '.' : ch === '%' ? '.*' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
            .join(''),
          'i',
        )
      : undefined;
    const all = [...this.store.uploads.values()]
      .filter((u) => (this.options.listDeleted ?? true) || u.status !== 'DELETED')
      .filter((u) => !pattern || pattern.test(u.name))
      .filter((u) => !status || u.status === status)
      .sort((a, b) => b.lastEvent.date.localeCompare(a.lastEvent.date));
    const { status: code, items, contentRange } = pageOf(all, c.query, this.listing);
    if (contentRange) c.res.setHeader('content-range', contentRange);
    this.json(
      c,
      code,
      items.map((u) => listItem(this.store.view(u), 'uploads', c.query, this.listing.mode)),
    );
  }

  private async createUpload(c: Context): Promise<void> {
    const body = JSON.parse((await readText(c.req)) || '{}') as Record<string, unknown>;
    const allowed = ['name', 'description', 'type', 'srs', 'type_infos'];
    const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
    const problems: string[] = [];
    if (unknown.length) problems.push(`Champ(s) inconnu(s) : ${unknown.join(', ')}`);
    for (const field of ['name', 'description', 'type', 'srs'])
      if (typeof body[field] !== 'string' || !body[field]) problems.push(`Le champ ${field} ne doit pas être vide`);
    if (typeof body.srs === 'string' && !/^EPSG:\d+$/.test(body.srs)) problems.push(`Le srs ${body.srs} n'est pas valide`);
    if (problems.length) throw new HttpError(400, problems);
    const upload = this.store.createUpload({
      name: String(body.name),
      description: String(body.description),
      type: String(body.type),
      srs: String(body.srs),
    });
    this.json(c, 201, this.store.view(upload));
  }

  private deleteUpload(c: Context): void {
    const upload = this.upload(c);
    if (upload.status === 'CHECKING') throw new HttpError(409, ['La livraison est en cours de vérification et ne peut pas être supprimée']);
    // A second DELETE answers 404 (docs/api.md), though GET still shows the upload DELETED.
    if (upload.status === 'DELETED') throw new HttpError(404, [`La livraison ${upload._id} est déjà supprimée`]);
    upload.status = 'DELETED';
    this.store.touch(upload, 'Suppression');
    this.json(c, 204, undefined);
  }

  private async addTags(c: Context): Promise<void> {
    const upload = this.upload(c);
    const body = JSON.parse((await readText(c.req)) || '{}') as unknown;
    if (!body || typeof body !== 'object' || Array.isArray(body) || Object.values(body).some((v) => typeof v !== 'string'))
      throw new HttpError(400, ['Les tags doivent être un objet clé/valeur de chaînes']);
    Object.assign(upload.tags, body);
    this.json(c, 200, upload.tags);
  }

  // ---------------------------------------------------------------- files

  private async receiveFile(c: Context, kind: 'data' | 'md5'): Promise<void> {
    const upload = this.upload(c);
    if (upload.status !== 'OPEN') throw new HttpError(409, [`La livraison est ${upload.status} : elle n'accepte plus de fichiers`]);
    const query = c.query.get('path');
    if (kind === 'data') {
      if (!query) throw new HttpError(400, ['Le paramètre path est obligatoire']);
      validatePath(query);
      if (this.options.refuseOverwrite && upload.files.has(query)) throw new HttpError(409, [`Le fichier ${query} existe déjà`]);
    }
    const contentType = c.req.headers['content-type'] ?? '';
    if (!contentType.startsWith('multipart/form-data')) throw new HttpError(400, ['Le contenu doit être multipart/form-data']);

    const partial = c.fault && 'resetMidBody' in c.fault;
    const cutAt = partial ? Math.floor(Number(c.req.headers['content-length'] ?? 0) / 2) : Infinity;
    type Incoming = { remotePath: string; tmp: string; size: number };
    const stored = await new Promise<Incoming | undefined>((resolve, reject) => {
      const parser = busboy({ headers: c.req.headers, limits: { files: 1, fields: 10 }, defParamCharset: 'utf8' });
      let current: (Incoming & { out: ReturnType<typeof createWriteStream>; stream: NodeJS.ReadableStream }) | undefined;
      let writing: Promise<void> | undefined;
      let received = 0;
      let cut = false;
      parser.on('file', (field, stream, info) => {
        if (field !== 'file') {
          stream.resume();
          return reject(new HttpError(400, [`La partie doit s'appeler file, pas ${field}`]));
        }
        const remotePath = kind === 'data' ? (query as string) : path.posix.basename(info.filename || 'checksums.md5');
        if (kind === 'md5') validatePath(remotePath);
        const tmp = path.join(this.store.dataDir, `.incoming-${randomUUID()}`);
        const out = createWriteStream(tmp);
        const file = (current = { remotePath, tmp, size: 0, out, stream });
        stream.on('data', (chunk: Buffer) => (file.size += chunk.length));
        writing = new Promise((done, fail) => {
          out.on('finish', done);
          out.on('error', fail);
          stream.on('error', (error) => (cut ? undefined : fail(error)));
        });
        stream.pipe(out);
      });
      parser.on('close', () => (writing ?? Promise.resolve()).then(() => resolve(current), reject));
      parser.on('error', (error) => (cut ? undefined : reject(error)));
      c.req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received < cutAt || cut) return;
        // Keep what arrived as a truncated file; the connection is dropped once it is stored.
        cut = true;
        c.req.unpipe(parser);
        c.req.pause();
        if (!current) return resolve(undefined);
        const file = current;
        file.stream.unpipe(file.out);
        file.out.end(() => resolve(file));
      });
      c.req.on('aborted', () => {
        if (cut) return;
        if (this.options.keepPartialFiles !== true || !current) return parser.destroy(new Error('client aborted'));
        // A harsh server keeps what arrived of a body the client abandoned.
        cut = true;
        const file = current;
        c.req.unpipe(parser);
        file.stream.unpipe(file.out);
        file.out.end(() => resolve(file));
      });
      c.req.pipe(parser);
    }).catch(async (error) => {
      if (error instanceof HttpError) throw error;
      return undefined; // the client went away: nothing to answer
    });
    if (partial) {
      if (stored && this.options.keepPartialFiles !== false) await this.commitFile(upload, stored);
      c.req.socket.destroy();
      return;
    }
    if (c.req.socket.destroyed) {
      if (stored && this.options.keepPartialFiles === true) {
        if (this.options.strayDelayMs) await new Promise((r) => setTimeout(r, this.options.strayDelayMs));
        if (!this.stopped) await this.commitFile(upload, stored);
      } else if (stored) await rm(stored.tmp, { force: true });
      return;
    }
    if (!stored) throw new HttpError(400, ['Aucun fichier dans la requête (partie file)']);
    // A file stored under a lost answer shows in the tree only after `treeLagMs` (S3 behind a 502).
    await this.commitFile(upload, stored, c.fault && 'storeThen' in c.fault ? this.options.treeLagMs : undefined);
    this.json(c, 200, { path: stored.remotePath, size: stored.size });
  }

  private async commitFile(upload: UploadRecord, stored: { remotePath: string; tmp: string; size: number }, lagMs?: number): Promise<void> {
    await this.store.removeFile(upload, stored.remotePath);
    const disk = await this.store.prepareDir(upload, stored.remotePath);
    await rename(stored.tmp, disk);
    upload.files.set(stored.remotePath, {
      path: stored.remotePath,
      diskPath: disk,
      size: stored.size,
      visibleAt: lagMs ? Date.now() + lagMs : undefined,
    });
    this.store.touch(upload, 'Ajout de fichier');
  }

  private async deleteFile(c: Context, kind: 'data' | 'md5'): Promise<void> {
    const upload = this.upload(c);
    if (upload.status !== 'OPEN') throw new HttpError(409, [`La livraison est ${upload.status}`]);
    const remotePath = c.query.get('path') ?? '';
    if (kind === 'md5' && remotePath.includes('/')) throw new HttpError(400, ['Les fichiers md5 sont à la racine']);
    if (!(await this.store.removeFile(upload, remotePath))) throw new HttpError(404, [`Le fichier ${remotePath} n'existe pas`]);
    this.json(c, 204, undefined);
  }

  private downloadFile(c: Context): void {
    const file = this.upload(c).files.get(c.query.get('path') ?? '');
    if (!file) throw new HttpError(404, [`Le fichier ${c.query.get('path')} n'existe pas`]);
    c.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.size });
    createReadStream(file.diskPath).pipe(c.res);
  }

  // ---------------------------------------------------------------- close, open, checks

  private close(c: Context): void {
    const upload = this.upload(c);
    if (upload.status !== 'OPEN') throw new HttpError(409, [`La livraison est ${upload.status} et ne peut pas être fermée`]);
    upload.status = 'CHECKING';
    this.store.touch(upload, 'Fermeture');
    this.later(this.options.checkRegistrationDelayMs ?? 0, () => this.registerChecks(upload));
    this.json(c, 200, this.store.view(upload));
  }

  private reopen(c: Context): void {
    const upload = this.upload(c);
    if (upload.status !== 'CLOSED' && upload.status !== 'UNSTABLE')
      throw new HttpError(409, [`La livraison est ${upload.status} et ne peut pas être rouverte`]);
    upload.status = 'OPEN';
    this.store.touch(upload, 'Réouverture');
    this.json(c, 200, this.store.view(upload));
  }

  private registerChecks(upload: UploadRecord): void {
    const duration = this.options.checkDurationMs ?? 50;
    const executions = [RASTER_CHECK, STANDARD_CHECK].map((check) => {
      const date = this.store.now();
      const execution: ExecutionRecord = {
        _id: randomUUID(),
        check,
        uploadId: upload._id,
        status: 'WAITING',
        creation: date,
        update: date,
        logs: [],
      };
      this.store.executions.set(execution._id, execution);
      upload.executions.push(execution._id);
      return execution;
    });
    for (const execution of executions) {
      this.later(duration / 2, () => {
        execution.status = 'PROGRESS';
        execution.start = execution.update = this.store.now();
        this.later(duration / 2, async () => {
          const files = [...upload.files.values()];
          const lines = execution.check._id === RASTER_CHECK._id ? await rasterCheck(files, upload.srs) : await standardCheck(files);
          execution.logs = lines;
          execution.status = lines.some((l) => /ERROR\|\|/.test(l)) ? 'FAILURE' : 'SUCCESS';
          execution.finish = execution.update = this.store.now();
          this.settle(upload);
        });
      });
    }
  }

  private settle(upload: UploadRecord): void {
    const executions = upload.executions.map((id) => this.store.executions.get(id) as ExecutionRecord);
    if (upload.status !== 'CHECKING' || executions.some((e) => e.status === 'WAITING' || e.status === 'PROGRESS')) return;
    upload.status = executions.some((e) => e.status === 'FAILURE') ? 'UNSTABLE' : 'CLOSED';
    this.store.touch(upload, upload.status === 'CLOSED' ? 'Vérifications réussies' : 'Vérifications en échec');
  }

  private uploadChecks(c: Context): void {
    const upload = this.upload(c);
    const lists: Record<string, unknown[]> = { asked: [], in_progress: [], passed: [], failed: [] };
    const key = { WAITING: 'asked', PROGRESS: 'in_progress', SUCCESS: 'passed', FAILURE: 'failed' } as const;
    for (const id of upload.executions) {
      const e = this.store.executions.get(id) as ExecutionRecord;
      lists[key[e.status]].push(listItem(this.executionView(e), 'checkExecutions', c.query, this.listing.mode));
    }
    this.json(c, 200, lists);
  }

  private executionView(e: ExecutionRecord): Record<string, unknown> {
    const upload = this.store.uploads.get(e.uploadId) as UploadRecord;
    return {
      _id: e._id,
      status: e.status,
      check: e.check,
      upload: { _id: upload._id, name: upload.name, type: upload.type },
      creation: e.creation,
      update: e.update,
      start: e.start,
      finish: e.finish,
    };
  }

  private logs(c: Context): void {
    const { status, items, contentRange } = pageOf(this.execution(c).logs, c.query, this.listing, 50);
    if (contentRange) c.res.setHeader('content-range', contentRange);
    this.json(c, status, items);
  }

  // ---------------------------------------------------------------- helpers

  private upload(c: Context): UploadRecord {
    const upload = this.store.uploads.get(c.params[1]);
    if (!upload) throw new HttpError(404, [`La livraison ${c.params[1]} n'existe pas`]);
    return upload;
  }

  private execution(c: Context): ExecutionRecord {
    const e = this.store.executions.get(c.params[1]);
    if (!e) throw new HttpError(404, [`L'exécution ${c.params[1]} n'existe pas`]);
    return e;
  }

  /**
   * Answers `body` as JSON (no body for a 204). Under a `storeThen` fault the request has acted by
   * now, and this answer is what is lost: a gateway error, another status, or a dropped connection.
   */
  private json(c: Pick<Context, 'res'> & { fault?: FaultKind; req?: IncomingMessage }, status: number, body: unknown): void {
    if (c.fault && 'slowAnswerMs' in c.fault) {
      const { slowAnswerMs } = c.fault;
      const later = { ...c, fault: undefined };
      setTimeout(() => this.json(later, status, body), slowAnswerMs);
      return;
    }
    const lost = c.fault && 'storeThen' in c.fault ? c.fault.storeThen : undefined;
    if (lost === 'reset') {
      c.req?.socket.destroy();
      return;
    }
    if (lost !== undefined && lost >= 500) {
      c.res.writeHead(lost, { 'content-type': 'text/html' }).end(`<html><body><h1>${lost} Bad Gateway</h1></body></html>`);
      return;
    }
    if (lost !== undefined) return this.json({ res: c.res }, lost, { error_description: [`Erreur injectée ${lost}`] });
    if (status === 204) {
      c.res.writeHead(204).end();
      return;
    }
    const text = JSON.stringify(body);
    c.res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  }

  private later(ms: number, task: () => void | Promise<void>): void {
    const timer = setTimeout(async () => {
      try {
        await task();
      } catch (error) {
        // A check reading its files when the emulator stopped (and removed them) has nobody to tell.
        if (!this.stopped) throw error;
      } finally {
        this.timers.delete(timer);
      }
    }, ms);
    this.timers.add(timer);
  }
}

function validatePath(remotePath: string): void {
  const parts = remotePath.split('/');
  if (remotePath.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..'))
    throw new HttpError(400, [`Le chemin ${remotePath} n'est pas valide`]);
}

/**
 * RFC 6238 with a window of one step either side, as Keycloak allows by default. Written apart
 * from the action's own TOTP on purpose: the emulator must not share the code it checks.
 */
function validTotp(secret: string, code: string): boolean {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const ch of secret.toUpperCase().replace(/[\s=-]/g, '')) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  const key = Buffer.from(bytes);
  const step = Math.floor(Date.now() / 30_000);
  return [-1, 0, 1].some((offset) => {
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(step + offset));
    const mac = createHmac('sha1', key).update(counter).digest();
    const at = mac[mac.length - 1] & 0x0f;
    return String((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, '0') === code;
  });
}
