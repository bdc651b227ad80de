import busboy from 'busboy';
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Context } from './core.js';
import { HttpError, parseObject, readText } from './http.js';
import { pageOf, tagFilters, type PagingVariant } from './lists.js';
import type { CatalogueOptions } from './options.js';

/**
 * The catalogue routes (entrepot-api-catalogue.md §2, §5, "What a faithful emulator must do"):
 * metadata records (multipart `file`, `type`/`open_data` from the query or the form, 422 on
 * malformed XML, a platform-wide unique file identifier with the datastore's prefix, no XSD check,
 * `endpoints` for published), their publication on the METADATA endpoint and a CSW that serves
 * the published ones, and annexes (paths and labels as repeated parts, comma-joined parts or
 * query, a leading `/`, a public URL only while published, with an ETag). Status codes the sources
 * do not give are this emulator's choice, in the table of emulator/README.md.
 */

export interface MetadataRecord {
  _id: string;
  type: 'ISOAP' | 'INSPIRE';
  open_data: boolean;
  level: 'DATASET' | 'SERIES';
  file_identifier: string;
  tags: Record<string, string>;
  endpoints: Array<{ _id: string; name: string; creation: string; update: string }>;
  extra?: unknown;
  creation: string;
  update: string;
  /** The stored bytes (`GET …/file`). */
  file: Buffer;
}

export interface AnnexRecord {
  _id: string;
  paths: string[];
  labels: string[];
  published: boolean;
  mime_type: string;
  size: number;
  file: Buffer;
  creation: string;
}

export const METADATA_ENDPOINT = {
  _id: '9a1b2c3d-0000-4000-8000-emulmetadata',
  name: 'Géonetwork',
  technical_name: 'gpf-geonetwork',
  type: 'METADATA',
  open: true,
};

type Route = { name: string; method: string; pattern: string; handler: (c: Context) => Promise<void> | void };
type Json = (c: Context, status: number, body: unknown) => void;

const xml = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true, parseTagValue: false, isArray: () => false });

export class CatalogueRoutes {
  readonly metadata = new Map<string, MetadataRecord>();
  readonly annexes = new Map<string, AnnexRecord>();
  /** Every record file a POST or PUT sent, in order (tests count the writes). */
  readonly writes: Array<{ method: 'POST' | 'PUT'; id: string }> = [];

  constructor(
    private readonly json: Json,
    private readonly now: () => string,
    readonly options: CatalogueOptions,
    /** The emulator's root URL: the CSW and the annexes are served under it. */
    private readonly root: () => string,
    private readonly listing: () => PagingVariant,
  ) {}

  get technicalName(): string {
    return this.options.technicalName ?? 'emulated_datastore';
  }

  /** What `GET /datastores/{ds}` adds: the prefix, the technical name, and the METADATA endpoint. */
  datastoreFields(): { fields: Record<string, unknown>; endpoint: Record<string, unknown> } {
    return {
      fields: {
        technical_name: this.technicalName,
        ...(this.options.metadataPrefix ? { metadata_file_identifier_prefix: this.options.metadataPrefix } : {}),
      },
      endpoint: {
        use: [...this.metadata.values()].filter((m) => m.endpoints.length > 0).length,
        quota: this.options.metadataQuota ?? 10,
        endpoint: { ...METADATA_ENDPOINT, urls: [{ type: 'METADATA', url: `${this.root()}/csw` }] },
      },
    };
  }

  routes(ds: string): Route[] {
    const md = `${ds}/metadata/([^/]+)`;
    const anx = `${ds}/annexes/([^/]+)`;
    return [
      { name: 'listMetadata', method: 'GET', pattern: `${ds}/metadata`, handler: (c) => this.listMetadata(c) },
      { name: 'createMetadata', method: 'POST', pattern: `${ds}/metadata`, handler: (c) => this.createMetadata(c) },
      { name: 'publishMetadata', method: 'POST', pattern: `${ds}/metadata/publication`, handler: (c) => this.publication(c, true) },
      { name: 'unpublishMetadata', method: 'POST', pattern: `${ds}/metadata/unpublication`, handler: (c) => this.publication(c, false) },
      { name: 'metadataFile', method: 'GET', pattern: `${md}/file`, handler: (c) => this.metadataFile(c) },
      { name: 'tagMetadata', method: 'POST', pattern: `${md}/tags`, handler: (c) => this.tagMetadata(c) },
      { name: 'metadataRecord', method: 'GET', pattern: md, handler: (c) => this.json(c, 200, view(this.record(c))) },
      { name: 'replaceMetadata', method: 'PUT', pattern: md, handler: (c) => this.replaceMetadata(c) },
      { name: 'patchMetadata', method: 'PATCH', pattern: md, handler: (c) => this.patchMetadata(c) },
      { name: 'deleteMetadata', method: 'DELETE', pattern: md, handler: (c) => this.deleteMetadata(c) },
      { name: 'deleteMetadataTags', method: 'DELETE', pattern: `${md}/tags`, handler: (c) => this.untagMetadata(c) },
      { name: 'listAnnexes', method: 'GET', pattern: `${ds}/annexes`, handler: (c) => this.listAnnexes(c) },
      { name: 'createAnnex', method: 'POST', pattern: `${ds}/annexes`, handler: (c) => this.createAnnex(c) },
      { name: 'publishAnnexes', method: 'POST', pattern: `${ds}/annexes/publication`, handler: (c) => this.annexPublication(c, true) },
      { name: 'unpublishAnnexes', method: 'POST', pattern: `${ds}/annexes/unpublication`, handler: (c) => this.annexPublication(c, false) },
      { name: 'replaceAnnex', method: 'PUT', pattern: anx, handler: (c) => this.replaceAnnex(c) },
      { name: 'patchAnnex', method: 'PATCH', pattern: anx, handler: (c) => this.patchAnnex(c) },
      { name: 'annexFile', method: 'GET', pattern: `${anx}/file`, handler: (c) => this.annexFile(c) },
      { name: 'annex', method: 'GET', pattern: anx, handler: (c) => this.json(c, 200, annexView(this.annex(c))) },
      { name: 'deleteAnnex', method: 'DELETE', pattern: anx, handler: (c) => this.deleteAnnex(c) },
    ];
  }

  /** The routes without a token: the CSW and the annexes' public URLs. */
  publicRoutes(): Route[] {
    return [
      { name: 'csw', method: 'GET', pattern: '/(?:sandbox/)?csw', handler: (c) => this.csw(c) },
      { name: 'publicAnnex', method: 'GET', pattern: '/annexes/([^/]+)(/.+)', handler: (c) => this.publicAnnex(c) },
    ];
  }

  /** The published record's bytes, as the catalogue serves them (for tests and the demo). */
  publishedFile(fileIdentifier: string): Buffer | undefined {
    const found = [...this.metadata.values()].find((m) => m.file_identifier === fileIdentifier && m.endpoints.length > 0);
    return found?.file;
  }

  // ---------------------------------------------------------------- metadata

  private listMetadata(c: Context): void {
    const tags = this.options.ignoreFilters ? [] : tagFilters(c.query);
    const type = c.query.get('type');
    const level = c.query.get('level');
    let items = [...this.metadata.values()].filter(
      (m) => tags.every(([k, v]) => m.tags[k] === v) && (!type || m.type === type) && (!level || m.level === level),
    );
    const sort = c.query.get('sort');
    if (sort?.startsWith('update') || sort?.startsWith('creation')) {
      const key = sort.startsWith('update') ? 'update' : 'creation';
      items = [...items].sort((a, b) => a[key].localeCompare(b[key]) * (sort.endsWith(':desc') ? -1 : 1));
    }
    const { status, items: page, contentRange } = pageOf(items.map(view), c.query, this.listing());
    if (contentRange) c.res.setHeader('content-range', contentRange);
    this.json(c, status, page);
  }

  private async createMetadata(c: Context): Promise<void> {
    const form = await readForm(c.req);
    const { fields } = form;
    const flag = (name: string) => c.query.get(name) ?? fields.get(name)?.[0];
    const type = (flag('type') ?? 'ISOAP').toUpperCase();
    if (type !== 'ISOAP' && type !== 'INSPIRE') throw new HttpError(400, [`type doit valoir ISOAP ou INSPIRE, pas ${type}`]);
    const openData = flag('open_data') ?? 'false';
    if (!/^(true|false|1|0)$/i.test(openData)) throw new HttpError(400, [`open_data doit être un booléen, pas ${openData}`]);
    const { identifier, level, file } = this.readRecord(form.file);
    if (this.taken(identifier)) throw new HttpError(409, [`Le file identifier ${identifier} est déjà utilisé sur la plateforme`]);
    const now = this.now();
    const created: MetadataRecord = {
      _id: randomUUID(),
      type,
      open_data: /^(true|1)$/i.test(openData),
      level,
      file_identifier: identifier,
      tags: {},
      endpoints: [],
      creation: now,
      update: now,
      file,
    };
    this.metadata.set(created._id, created);
    this.writes.push({ method: 'POST', id: created._id });
    this.json(c, 201, view(created));
  }

  private async replaceMetadata(c: Context): Promise<void> {
    const found = this.record(c);
    const { identifier, level, file } = this.readRecord((await readForm(c.req)).file);
    if (identifier !== found.file_identifier)
      throw new HttpError(400, [`Le file identifier ne doit pas changer (${found.file_identifier}, pas ${identifier})`]);
    found.file = file;
    found.level = level;
    found.update = this.now();
    this.writes.push({ method: 'PUT', id: found._id });
    this.json(c, 200, view(found));
  }

  private async patchMetadata(c: Context): Promise<void> {
    const found = this.record(c);
    const body = parseObject(await readText(c.req));
    if (body.type !== undefined) {
      if (body.type !== 'ISOAP' && body.type !== 'INSPIRE') throw new HttpError(400, ['type doit valoir ISOAP ou INSPIRE']);
      found.type = body.type;
    }
    if (body.open_data !== undefined) found.open_data = body.open_data === true;
    if (body.extra !== undefined) found.extra = body.extra;
    found.update = this.now();
    this.json(c, 200, view(found));
  }

  private deleteMetadata(c: Context): void {
    const found = this.record(c);
    if (found.endpoints.length) throw new HttpError(409, ['La métadonnée est publiée : dépubliez-la avant de la supprimer']);
    this.metadata.delete(found._id);
    this.json(c, 204, undefined);
  }

  private async tagMetadata(c: Context): Promise<void> {
    const found = this.record(c);
    const body = parseObject(await readText(c.req));
    if (Object.values(body).some((v) => typeof v !== 'string' && typeof v !== 'number'))
      throw new HttpError(400, ['Les tags doivent être des chaînes']);
    for (const [k, v] of Object.entries(body)) found.tags[k] = String(v);
    this.json(c, 200, view(found));
  }

  /** `tags=k`, `tags[]=k` or `tags=k1,k2`: every spelling the clients use. */
  private untagMetadata(c: Context): void {
    const found = this.record(c);
    const keys = [...c.query.getAll('tags'), ...c.query.getAll('tags[]')].flatMap((k) => k.split(','));
    for (const key of keys) delete found.tags[key.trim()];
    this.json(c, 200, view(found));
  }

  private metadataFile(c: Context): void {
    const found = this.record(c);
    c.res.writeHead(200, { 'content-type': 'application/xml', 'content-length': found.file.length }).end(found.file);
  }

  private async publication(c: Context, publish: boolean): Promise<void> {
    const body = parseObject(await readText(c.req));
    const ids = body.file_identifiers;
    if (!Array.isArray(ids) || ids.length === 0 || new Set(ids).size !== ids.length || ids.some((i) => typeof i !== 'string'))
      throw new HttpError(400, ['file_identifiers doit être une liste non vide d’identifiants uniques']);
    if (body.endpoint !== METADATA_ENDPOINT._id)
      throw new HttpError(400, [`Le point d'accès ${String(body.endpoint)} n'est pas un point d'accès METADATA de l'entrepôt`]);
    const records = (ids as string[]).map((id) => {
      const found = [...this.metadata.values()].find((m) => m.file_identifier === id);
      if (!found) throw new HttpError(404, [`Aucune métadonnée ${id} dans l'entrepôt`]);
      return found;
    });
    if (publish) {
      const adding = records.filter((m) => m.endpoints.length === 0).length;
      const used = [...this.metadata.values()].filter((m) => m.endpoints.length > 0).length;
      if (used + adding > (this.options.metadataQuota ?? 10)) throw new HttpError(400, ['Quota du point d’accès METADATA atteint']);
    }
    const now = this.now();
    for (const found of records) {
      found.endpoints = found.endpoints.filter((e) => e._id !== METADATA_ENDPOINT._id);
      if (publish) found.endpoints.push({ _id: METADATA_ENDPOINT._id, name: METADATA_ENDPOINT.technical_name, creation: now, update: now });
    }
    this.json(c, 204, undefined);
  }

  private csw(c: Context): void {
    const id = c.query.get('ID') ?? c.query.get('id') ?? '';
    const file = this.publishedFile(id);
    const body = file
      ? `<csw:GetRecordByIdResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2">${file.toString('utf8').replace(/^<\?xml[^>]*\?>\s*/, '')}</csw:GetRecordByIdResponse>`
      : '<csw:GetRecordByIdResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"/>';
    c.res.writeHead(200, { 'content-type': 'application/xml' }).end(body);
  }

  /** The identifier and level of a record file; 422 when it is not XML, 400 when it lacks what the API needs. */
  private readRecord(file: Buffer | undefined): { identifier: string; level: MetadataRecord['level']; file: Buffer } {
    if (!file) throw new HttpError(400, ['Le fichier de métadonnées (partie file) est obligatoire']);
    const text = file.toString('utf8');
    if (XMLValidator.validate(text) !== true) throw new HttpError(422, ['Le fichier doit être un fichier XML valide']);
    const root = (xml.parse(text) as Record<string, Record<string, unknown>>).MD_Metadata;
    const identifier = String(field(root, 'fileIdentifier', 'CharacterString') ?? '').trim();
    if (!root || !identifier) throw new HttpError(400, ['gmd:MD_Metadata/gmd:fileIdentifier/gco:CharacterString est obligatoire']);
    const prefix = this.options.metadataPrefix;
    if (prefix && !(identifier.startsWith(`${prefix}.`) && identifier.length > prefix.length + 1))
      throw new HttpError(400, [`Le file identifier doit commencer par le préfixe obligatoire ${prefix}.`]);
    const scope = field(root, 'hierarchyLevel', 'MD_ScopeCode', '@_codeListValue');
    return { identifier, level: scope === 'series' ? 'SERIES' : 'DATASET', file };
  }

  private taken(identifier: string): boolean {
    return (
      (this.options.takenIdentifiers ?? []).includes(identifier) ||
      [...this.metadata.values()].some((m) => m.file_identifier === identifier)
    );
  }

  private record(c: Context): MetadataRecord {
    const found = this.metadata.get(c.params[1]);
    if (!found) throw new HttpError(404, [`La métadonnée ${c.params[1]} n'existe pas`]);
    return found;
  }

  // ---------------------------------------------------------------- annexes

  private listAnnexes(c: Context): void {
    const filtered = !this.options.ignoreFilters;
    const labels = filtered ? c.query.getAll('labels').flatMap((l) => l.split(',')) : [];
    const paths = filtered ? c.query.getAll('path') : [];
    const mime = c.query.get('mime_type');
    const mimeMatch = mime ? new RegExp(`^${mime.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*')}$`) : undefined;
    const items = [...this.annexes.values()].filter(
      (a) =>
        labels.every((l) => a.labels.includes(l)) &&
        paths.every((p) => a.paths.includes(p.startsWith('/') ? p : `/${p}`)) &&
        (!mimeMatch || mimeMatch.test(a.mime_type)),
    );
    const { status, items: page, contentRange } = pageOf(items.map(annexView), c.query, this.listing());
    if (contentRange) c.res.setHeader('content-range', contentRange);
    this.json(c, status, page);
  }

  private async createAnnex(c: Context): Promise<void> {
    const { file, fields } = await readForm(c.req);
    const many = (name: string) =>
      [...c.query.getAll(name), ...(fields.get(name) ?? [])]
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter(Boolean);
    if (!file) throw new HttpError(400, ['Le fichier (partie file) est obligatoire']);
    const paths = many('paths').map((p) => (p.startsWith('/') ? p : `/${p}`));
    if (paths.length === 0 || new Set(paths).size !== paths.length) throw new HttpError(400, ['paths est obligatoire, sans doublon']);
    const used = new Set([...this.annexes.values()].flatMap((a) => a.paths));
    const clash = paths.find((p) => used.has(p));
    if (clash) throw new HttpError(409, [`Le chemin ${clash} est déjà utilisé`]);
    const published = c.query.get('published') ?? fields.get('published')?.[0];
    this.checkRoom(file.length);
    const annex: AnnexRecord = {
      _id: randomUUID(),
      paths,
      labels: many('labels'),
      published: /^(true|1)$/i.test(published ?? 'false'),
      mime_type: mimeOf(file),
      size: file.length,
      file,
      creation: this.now(),
    };
    this.annexes.set(annex._id, annex);
    this.json(c, 201, annexView(annex));
  }

  /** Publication by labels (all of them): the count of annexes changed. */
  private annexPublication(c: Context, publish: boolean): void {
    const labels = c.query.getAll('labels').flatMap((l) => l.split(','));
    if (labels.length === 0) throw new HttpError(400, ['labels est obligatoire']);
    let count = 0;
    for (const annex of this.annexes.values())
      if (labels.every((l) => annex.labels.includes(l)) && annex.published !== publish) {
        annex.published = publish;
        count++;
      }
    this.json(c, 200, count);
  }

  private async replaceAnnex(c: Context): Promise<void> {
    const found = this.annex(c);
    const { file } = await readForm(c.req);
    if (!file) throw new HttpError(400, ['Le fichier (partie file) est obligatoire']);
    this.checkRoom(file.length - found.size);
    Object.assign(found, { file, size: file.length, mime_type: mimeOf(file) });
    this.json(c, 200, annexView(found));
  }

  private async patchAnnex(c: Context): Promise<void> {
    const found = this.annex(c);
    const body = parseObject(await readText(c.req));
    if (Array.isArray(body.labels)) found.labels = body.labels.map(String);
    if (typeof body.published === 'boolean') found.published = body.published;
    if (Array.isArray(body.paths)) found.paths = body.paths.map((p) => (String(p).startsWith('/') ? String(p) : `/${String(p)}`));
    this.json(c, 200, annexView(found));
  }

  /** The annexes' storage: `storages.annexes{use,quota}` of the datastore. */
  annexBytes(): number {
    return [...this.annexes.values()].reduce((sum, a) => sum + a.size, 0);
  }

  private checkRoom(adding: number): void {
    const quota = this.options.annexQuota ?? 100 * 1024 * 1024;
    if (this.annexBytes() + adding > quota) throw new HttpError(413, ['Quota de stockage des annexes atteint']);
  }

  private annexFile(c: Context): void {
    const found = this.annex(c);
    c.res.writeHead(200, { 'content-type': found.mime_type, 'content-length': found.size }).end(found.file);
  }

  private deleteAnnex(c: Context): void {
    this.annexes.delete(this.annex(c)._id);
    this.json(c, 204, undefined);
  }

  private publicAnnex(c: Context): void {
    const [name, path] = c.params;
    const found = [...this.annexes.values()].find((a) => a.published && a.paths.includes(decodeURIComponent(path)));
    if (name !== this.technicalName || !found) throw new HttpError(404, ['Annexe introuvable']);
    const etag = `"${createHash('md5').update(found.file).digest('hex')}"`;
    c.res.writeHead(200, { 'content-type': found.mime_type, 'content-length': found.size, etag }).end(found.file);
  }

  private annex(c: Context): AnnexRecord {
    const found = this.annexes.get(c.params[1]);
    if (!found) throw new HttpError(404, [`L'annexe ${c.params[1]} n'existe pas`]);
    return found;
  }
}

function view(m: MetadataRecord): Record<string, unknown> {
  const { file: _file, ...rest } = m;
  return rest;
}

function annexView(a: AnnexRecord): Record<string, unknown> {
  const { file: _file, creation: _creation, ...rest } = a;
  return rest;
}

function mimeOf(file: Buffer): string {
  if (file.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (file[0] === 0xff && file[1] === 0xd8) return 'image/jpeg';
  if (/^\s*</.test(file.subarray(0, 64).toString('utf8'))) return 'application/xml';
  return 'application/octet-stream';
}

/** The value at a path of the parsed record, each step's first element. */
function field(node: unknown, ...steps: string[]): string | undefined {
  let at = node;
  for (const step of steps) {
    if (Array.isArray(at)) at = at[0];
    if (!at || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[step];
  }
  if (at && typeof at === 'object' && '#text' in at) at = (at as Record<string, unknown>)['#text'];
  return typeof at === 'string' ? at : undefined;
}

/** A small multipart body: the part `file` whole, the other fields' values. */
async function readForm(req: IncomingMessage): Promise<{ file?: Buffer; fields: Map<string, string[]> }> {
  if (!/multipart\/form-data/i.test(req.headers['content-type'] ?? ''))
    throw new HttpError(400, ['Le corps doit être multipart/form-data, avec une partie file']);
  return new Promise((resolve, reject) => {
    const fields = new Map<string, string[]>();
    const chunks: Buffer[] = [];
    let file: Buffer | undefined;
    const parser = busboy({ headers: req.headers, limits: { files: 1, fields: 50, fileSize: 20 * 1024 * 1024 }, defParamCharset: 'utf8' });
    parser.on('file', (name, stream) => {
      if (name !== 'file') return void stream.resume();
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => (file = Buffer.concat(chunks)));
    });
    parser.on('field', (name, value) => fields.set(name.replace(/\[\]$/, ''), [...(fields.get(name.replace(/\[\]$/, '')) ?? []), value]));
    parser.on('close', () => resolve({ file, fields }));
    parser.on('error', reject);
    req.pipe(parser);
  });
}
