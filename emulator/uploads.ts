import { HttpError, readText } from './http.js';
import type { Context } from './core.js';
import { listItem, pageOf } from './lists.js';
import type { Core } from './core.js';

/**
 * The uploads themselves: a list with the API's pattern-like `name` filter (docs/api.md, "Listing
 * uploads"), create (only the documented fields), delete (soft: DELETED), tags.
 */
export class UploadRoutes {
  constructor(private readonly core: Core) {}

  listUploads(c: Context): void {
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
    const all = [...this.core.store.uploads.values()]
      .filter((u) => (this.core.options.listDeleted ?? true) || u.status !== 'DELETED')
      .filter((u) => !pattern || pattern.test(u.name))
      .filter((u) => !status || u.status === status)
      .sort((a, b) => b.lastEvent.date.localeCompare(a.lastEvent.date));
    const { status: code, items, contentRange } = pageOf(all, c.query, this.core.listing);
    if (contentRange) c.res.setHeader('content-range', contentRange);
    this.core.json(
      c,
      code,
      items.map((u) => listItem(this.core.store.view(u), 'uploads', c.query, this.core.listing.mode)),
    );
  }

  async createUpload(c: Context): Promise<void> {
    const body = JSON.parse((await readText(c.req)) || '{}') as Record<string, unknown>;
    const allowed = ['name', 'description', 'type', 'srs', 'type_infos'];
    const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
    const problems: string[] = [];
    if (unknown.length) problems.push(`Champ(s) inconnu(s) : ${unknown.join(', ')}`);
    for (const field of ['name', 'description', 'type', 'srs'])
      if (typeof body[field] !== 'string' || !body[field]) problems.push(`Le champ ${field} ne doit pas être vide`);
    if (typeof body.srs === 'string' && !/^EPSG:\d+$/.test(body.srs)) problems.push(`Le srs ${body.srs} n'est pas valide`);
    if (problems.length) throw new HttpError(400, problems);
    const upload = this.core.store.createUpload({
      name: String(body.name),
      description: String(body.description),
      type: String(body.type),
      srs: String(body.srs),
    });
    this.core.json(c, 201, this.core.store.view(upload));
  }

  deleteUpload(c: Context): void {
    const upload = this.core.upload(c);
    if (upload.status === 'CHECKING') throw new HttpError(409, ['La livraison est en cours de vérification et ne peut pas être supprimée']);
    // A second DELETE answers 404 (docs/api.md), though GET still shows the upload DELETED.
    if (upload.status === 'DELETED') throw new HttpError(404, [`La livraison ${upload._id} est déjà supprimée`]);
    upload.status = 'DELETED';
    this.core.store.touch(upload, 'Suppression');
    this.core.json(c, 204, undefined);
  }

  async addTags(c: Context): Promise<void> {
    const upload = this.core.upload(c);
    const body = JSON.parse((await readText(c.req)) || '{}') as unknown;
    if (!body || typeof body !== 'object' || Array.isArray(body) || Object.values(body).some((v) => typeof v !== 'string'))
      throw new HttpError(400, ['Les tags doivent être un objet clé/valeur de chaînes']);
    Object.assign(upload.tags, body);
    this.core.json(c, 200, upload.tags);
  }
}
