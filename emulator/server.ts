import { mkdtemp, rm } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CatalogueRoutes } from './catalogue.js';
import { CheckRuns } from './check-runs.js';
import { RASTER_CHECK, STANDARD_CHECK } from './checks.js';
import type { Context, Core, FaultKind } from './core.js';
import { answerFault, Faults } from './faults.js';
import { drain, HttpError } from './http.js';
import { Keycloak } from './keycloak.js';
import { serveLayer } from './services.js';
import { LayerRoutes } from './layers.js';
import { TOKEN_PATH, type EmulatorOptions, type RequestRecord } from './options.js';
import { Store, type UploadRecord } from './store.js';
import { UploadFiles } from './upload-files.js';
import { UploadRoutes } from './uploads.js';

export { TOKEN_PATH, type EmulatorOptions, type RequestRecord } from './options.js';

/** The datastore rights an account may hold (`GET /users/me`), and the one each writing route needs (§12.12). */
const ALL_RIGHTS = ['ANNEX', 'UPLOAD', 'BROADCAST', 'PROCESSING', 'COMMUNITY'];
const RIGHT_OF_ROUTE: Record<string, string> = {
  createExecution: 'PROCESSING',
  launch: 'PROCESSING',
  createConfiguration: 'BROADCAST',
  replaceConfiguration: 'BROADCAST',
  createOffering: 'BROADCAST',
  syncOffering: 'BROADCAST',
  deleteOffering: 'BROADCAST',
  tagConfiguration: 'BROADCAST',
  createAnnex: 'ANNEX',
  deleteAnnex: 'ANNEX',
  replaceAnnex: 'ANNEX',
  patchAnnex: 'ANNEX',
  publishAnnexes: 'ANNEX',
  unpublishAnnexes: 'ANNEX',
};

interface Route {
  name: string;
  method: string;
  pattern: RegExp;
  auth: boolean;
  handler: (ctx: Context) => Promise<void> | void;
}

/**
 * An emulator of the API Entrepôt's upload routes and of the Keycloak token endpoint, faithful to
 * docs/api.md: a real HTTP server that streams uploads to disk, runs checks
 * asynchronously, paginates, expires tokens and injects faults.
 */
export class Emulator implements Core {
  readonly faults: Faults;
  readonly requests: RequestRecord[] = [];
  readonly datastore: string;
  store!: Store;
  private server?: http.Server;
  private sockets = new Set<Socket>();
  private timers = new Set<NodeJS.Timeout>();
  /** Set by stop(): work still under way then is dropped quietly. */
  stopped = false;
  /** Requests whose handler has not returned yet (a stray body being stored, say). */
  private inFlight = 0;
  private ownsDataDir = false;
  private readonly routes: Route[];
  /** Processings, executions, stored data, configurations, endpoints and offerings. */
  readonly layers: LayerRoutes;
  /** Metadata records, their publication and CSW, and annexes. */
  readonly catalogue: CatalogueRoutes;
  url = '';

  private readonly keycloak: Keycloak;
  private readonly uploads: UploadRoutes;
  private readonly files: UploadFiles;
  private readonly checkRuns: CheckRuns;

  constructor(readonly options: EmulatorOptions = {}) {
    this.datastore = options.datastore ?? '5b1a0b8e-3c2d-4f5e-8a9b-0c1d2e3f4a5b';
    this.faults = new Faults(options.random);
    this.keycloak = new Keycloak(this);
    this.uploads = new UploadRoutes(this);
    this.files = new UploadFiles(this);
    this.checkRuns = new CheckRuns(this);
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
    this.catalogue = new CatalogueRoutes(
      (c, status, body) => this.json(c, status, body),
      () => this.store.now(),
      { ...options.catalogue },
      () => this.url,
      () => this.listing,
    );
    this.routes = [
      r('token', 'POST', TOKEN_PATH, (c) => this.keycloak.token(c), false),
      ...this.catalogue.publicRoutes().map((route) => r(route.name, route.method, route.pattern, route.handler, false)),
      ...this.catalogue.routes(ds).map((route) => r(route.name, route.method, route.pattern, route.handler)),
      // The services a published layer is read through (previews, GetCapabilities): no token, as for an open layer.
      r(
        'service',
        'GET',
        '/geopf/.*',
        (c) => serveLayer(c, () => [...this.layers.configurations.values()].map((conf) => conf.layer_name)),
        false,
      ),
      ...this.layers.routes(ds).map((route) => r(route.name, route.method, route.pattern, route.handler)),
      r('me', 'GET', '/api/users/me', (c) => this.me(c)),
      r('datastore', 'GET', ds, (c) => this.datastoreInfo(c)),
      r('listUploads', 'GET', `${ds}/uploads`, (c) => this.uploads.listUploads(c)),
      r('createUpload', 'POST', `${ds}/uploads`, (c) => this.uploads.createUpload(c)),
      r('getUpload', 'GET', up, (c) => this.json(c, 200, this.store.view(this.upload(c)))),
      r('deleteUpload', 'DELETE', up, (c) => this.uploads.deleteUpload(c)),
      r('tags', 'POST', `${up}/tags`, (c) => this.uploads.addTags(c)),
      r('postData', 'POST', `${up}/data`, (c) => this.files.receiveFile(c, 'data')),
      r('deleteData', 'DELETE', `${up}/data`, (c) => this.files.deleteFile(c, 'data')),
      r('getData', 'GET', `${up}/data`, (c) => this.files.downloadFile(c)),
      r('postMd5', 'POST', `${up}/md5`, (c) => this.files.receiveFile(c, 'md5')),
      r('deleteMd5', 'DELETE', `${up}/md5`, (c) => this.files.deleteFile(c, 'md5')),
      r('tree', 'GET', `${up}/tree`, (c) => this.json(c, 200, this.store.tree(this.upload(c)))),
      r('close', 'POST', `${up}/close`, (c) => this.checkRuns.close(c)),
      r('open', 'POST', `${up}/open`, (c) => this.checkRuns.reopen(c)),
      r('checks', 'GET', `${up}/checks`, (c) => this.checkRuns.uploadChecks(c)),
      r('execution', 'GET', `${ds}/checks/executions/([^/]+)`, (c) =>
        this.json(c, 200, this.checkRuns.executionView(this.checkRuns.execution(c))),
      ),
      r('logs', 'GET', `${ds}/checks/executions/([^/]+)/logs`, (c) => this.checkRuns.logs(c)),
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

  /** Tokens the token endpoint issued, for assertions. */
  get tokensIssued(): Keycloak['issued'] {
    return this.keycloak.issued;
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
  get listing(): Core['listing'] {
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
      if (match.route.auth) this.authorize(req, record, url.pathname, match.m[1], match.route.name);

      if (this.options.latencyMs) await new Promise((r) => setTimeout(r, this.options.latencyMs));
      const fault = this.faults.pick(match.route.name, method, url.searchParams.get('path') ?? undefined);
      if (fault) record.fault = Object.keys(fault)[0];
      if (fault && (await answerFault(fault, req, res, record))) return;
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

  /**
   * A known token, and on a datastore's routes this datastore and the right the route needs: UPLOAD,
   * PROCESSING for executions, BROADCAST for configurations and offerings (§12.12).
   */
  private authorize(req: IncomingMessage, record: RequestRecord, pathname: string, ds: string, route: string): void {
    this.keycloak.authenticate(req, record);
    if (!pathname.startsWith('/api/datastores/')) return;
    if (ds !== this.datastore) throw new HttpError(404, [`Le datastore ${ds} n'existe pas`]);
    const needed = RIGHT_OF_ROUTE[route] ?? 'UPLOAD';
    if (!this.rights().includes(needed)) throw new HttpError(403, [`Vous n'avez pas les droits nécessaires (${needed}) sur ce datastore`]);
  }

  private rights(): string[] {
    return this.options.rights ?? ALL_RIGHTS;
  }

  // ---------------------------------------------------------------- datastore and user

  private me(c: Context): void {
    this.json(c, 200, {
      _id: 'emulator-user',
      email: 'emulator@example.org',
      communities_member: [
        {
          community: { _id: 'community-1', name: 'Emulated community', datastore: this.datastore },
          rights: this.rights(),
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
        [this.options.storageKey === 'upload' ? 'annexe' : 'annexes']: {
          use: this.catalogue.annexBytes(),
          quota: this.options.catalogue?.annexQuota ?? 100 * 1024 * 1024,
        },
      },
      checks: [RASTER_CHECK, STANDARD_CHECK],
      ...(this.options.layers?.layerNamePrefix ? { configuration_layer_name_prefix: this.options.layers.layerNamePrefix } : {}),
      ...this.catalogueFields(),
    });
  }

  /** The layer routes' fields (processings, endpoints) with the catalogue's (prefix, technical name, METADATA endpoint). */
  private catalogueFields(): Record<string, unknown> {
    const layers = this.layers.datastoreFields();
    const catalogue = this.catalogue.datastoreFields();
    return { ...layers, ...catalogue.fields, endpoints: [...(layers.endpoints as unknown[]), catalogue.endpoint] };
  }

  // ---------------------------------------------------------------- uploads

  // ---------------------------------------------------------------- files

  // ---------------------------------------------------------------- close, open, checks

  // ---------------------------------------------------------------- helpers

  upload(c: Context): UploadRecord {
    const upload = this.store.uploads.get(c.params[1]);
    if (!upload) throw new HttpError(404, [`La livraison ${c.params[1]} n'existe pas`]);
    return upload;
  }

  /**
   * Answers `body` as JSON (no body for a 204). Under a `storeThen` fault the request has acted by
   * now, and this answer is what is lost: a gateway error, another status, or a dropped connection.
   */
  json(c: Pick<Context, 'res'> & { fault?: FaultKind; req?: IncomingMessage }, status: number, body: unknown): void {
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

  later(ms: number, task: () => void | Promise<void>): void {
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
