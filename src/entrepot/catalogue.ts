import { array, boolean, record, string, tagMap, text, type JsonRecord } from './json.js';
import { multipartFile } from './multipart.js';
import { entityId, unlessGone, type Transport } from './transport.js';

/**
 * The catalogue's routes (docs/catalogue.md): metadata records, sent as a multipart `file` with
 * `type` and `open_data` both as form fields (the docs) and in the query (every client), their tags and
 * their publication on a METADATA endpoint; and annexes (the fiche's thumbnail), their `paths`,
 * `labels` and `published` as form parts (as the docs, the portal and QGIS send them). Every write at most once: a lost
 * answer to a create is reconciled by the record's file identifier or the annex's path, both
 * unique, before any second try.
 */

export interface MetadataEntity {
  id: string;
  fileIdentifier: string;
  type?: string;
  openData?: boolean;
  tags: Record<string, string>;
  /** The endpoints it is published on: "published" is a non-empty list (there is no status). */
  endpointIds: string[];
  update?: string;
}

export interface Annex {
  id: string;
  /** With their leading `/`, as the API adds it. */
  paths: string[];
  labels: string[];
  published: boolean;
}

export interface CatalogueApi {
  /** Every record of the datastore carrying `tags` (all of them with none), as the list gives them: whole. */
  metadataList(tags?: Record<string, string>): Promise<MetadataEntity[]>;
  metadata(id: string): Promise<MetadataEntity>;
  /** The record's XML as the server holds it. */
  metadataFile(id: string): Promise<string>;
  createMetadata(xml: string, fileIdentifier: string, flags: { inspire: boolean; openData: boolean }): Promise<MetadataEntity>;
  /** `isDone`: after a lost answer, whether the server holds the new file. */
  replaceMetadata(id: string, xml: string, isDone: () => Promise<boolean>): Promise<void>;
  /** PATCH of `type` and `open_data`. */
  setMetadataFlags(id: string, flags: { inspire: boolean; openData: boolean }): Promise<void>;
  tagMetadata(id: string, tags: Record<string, string>): Promise<void>;
  publishMetadata(id: string, fileIdentifier: string, endpointId: string): Promise<void>;
  /** Annexes carrying every one of `labels`. */
  annexes(labels: string[]): Promise<Annex[]>;
  createAnnex(content: Buffer, path: string, labels: string[]): Promise<Annex>;
  deleteAnnex(id: string): Promise<void>;
}

const PAGE = 50;

export class CatalogueClient implements CatalogueApi {
  constructor(private readonly transport: Transport) {}

  async metadataList(tags: Record<string, string> = {}): Promise<MetadataEntity[]> {
    const query = Object.fromEntries(Object.entries(tags).map(([k, v]) => [`tags[${k}]`, v]));
    const items = await this.transport.getAll('/metadata', query, PAGE);
    // List items are the full DTO (docs/catalogue.md); one lacking a field decided on is read whole.
    const whole = (item: JsonRecord) => typeof item.file_identifier === 'string' && 'tags' in item && Array.isArray(item.endpoints);
    return Promise.all(
      items.map(record).map(async (item) => (whole(item) ? toMetadata(item) : this.metadata(entityId(item, 'a metadata record')))),
    );
  }

  metadata(id: string): Promise<MetadataEntity> {
    return this.transport.readJson(`read metadata ${id}`, `/metadata/${encodeURIComponent(id)}`, (body) => toMetadata(record(body)));
  }

  metadataFile(id: string): Promise<string> {
    const route = `/metadata/${encodeURIComponent(id)}/file`;
    return this.transport.retry.read(`read the file of metadata ${id}`, async () => (await this.transport.request('GET', route)).text);
  }

  async createMetadata(xml: string, fileIdentifier: string, flags: { inspire: boolean; openData: boolean }): Promise<MetadataEntity> {
    const content = Buffer.from(xml, 'utf8');
    // The docs say form fields, every client sends query parameters: both, the same values.
    const type = flags.inspire ? 'INSPIRE' : 'ISOAP';
    const openData = String(flags.openData);
    const fields: Array<[string, string]> = [
      ['type', type],
      ['open_data', openData],
    ];
    return this.transport.createWith(
      `create metadata ${fileIdentifier}`,
      '/metadata',
      { query: { type, open_data: openData }, body: () => multipartFile({ content }, 'metadata.xml', undefined, fields) },
      (body) => toMetadata(record(body)),
      // The identifier is unique on the platform: a record of ours that holds it was made by this request.
      async () => (await this.metadataList()).find((m) => m.fileIdentifier === fileIdentifier),
    );
  }

  async replaceMetadata(id: string, xml: string, isDone: () => Promise<boolean>): Promise<void> {
    const content = Buffer.from(xml, 'utf8');
    await this.transport.change(
      `replace metadata ${id}`,
      'PUT',
      `/metadata/${encodeURIComponent(id)}`,
      { body: () => multipartFile({ content }, 'metadata.xml') },
      isDone,
    );
  }

  async setMetadataFlags(id: string, flags: { inspire: boolean; openData: boolean }): Promise<void> {
    const type = flags.inspire ? 'INSPIRE' : 'ISOAP';
    await this.transport.change(
      `set the flags of metadata ${id}`,
      'PATCH',
      `/metadata/${encodeURIComponent(id)}`,
      { json: { type, open_data: flags.openData } },
      async () => {
        const now = await this.metadata(id);
        return now.type === type && now.openData === flags.openData;
      },
    );
  }

  async tagMetadata(id: string, tags: Record<string, string>): Promise<void> {
    await this.transport.tag(`tag metadata ${id}`, `/metadata/${encodeURIComponent(id)}`, tags, async () => (await this.metadata(id)).tags);
  }

  async publishMetadata(id: string, fileIdentifier: string, endpointId: string): Promise<void> {
    await this.transport.change(
      `publish metadata ${fileIdentifier}`,
      'POST',
      '/metadata/publication',
      { json: { file_identifiers: [fileIdentifier], endpoint: endpointId } },
      async () => (await this.metadata(id)).endpointIds.includes(endpointId),
    );
  }

  async annexes(labels: string[]): Promise<Annex[]> {
    // Repeated `labels=`, as QGIS sends them. The filter is the server's word; the labels are checked
    // here too, so that a server that ignores the filter never hands over another fiche's annexes.
    const annexes = await this.listAnnexes(new URLSearchParams(labels.map((l): [string, string] => ['labels', l])));
    return annexes.filter((annex) => labels.every((label) => annex.labels.includes(label)));
  }

  /** The annexes a query lists, each read whole when its item lacks a field decided on. */
  private async listAnnexes(query: URLSearchParams): Promise<Annex[]> {
    // The query is built here, not from a record: `labels` repeats.
    const items = (await this.transport.getAll(`/annexes?${query.toString()}`, {}, PAGE)).map(record);
    return Promise.all(items.map(async (item) => (isWholeAnnex(item) ? toAnnex(item) : this.annex(entityId(item, 'an annex')))));
  }

  private annex(id: string): Promise<Annex> {
    return this.transport.readJson(`read annex ${id}`, annexRoute(id), (body) => toAnnex(record(body)));
  }

  async createAnnex(content: Buffer, path: string, labels: string[]): Promise<Annex> {
    // Form parts, one per path and per label, as the docs, the portal and QGIS send them.
    const fields: Array<[string, string]> = [['paths', path], ...labels.map((l): [string, string] => ['labels', l]), ['published', 'true']];
    const held = `/${path.replace(/^\//, '')}`;
    return this.transport.createWith(
      `create annex ${path}`,
      '/annexes',
      { body: () => multipartFile({ content }, path.split('/').pop() ?? 'thumbnail', undefined, fields) },
      (body) => toAnnex(record(body)),
      // A path is unique in the datastore: an annex at it was made by this request.
      async () => (await this.listAnnexes(new URLSearchParams({ path }))).find((a) => a.paths.includes(held)),
    );
  }

  async deleteAnnex(id: string): Promise<void> {
    await this.transport.remove(`delete annex ${id}`, annexRoute(id), async () => (await unlessGone(() => this.annex(id))) === undefined);
  }
}

function annexRoute(id: string): string {
  return `/annexes/${encodeURIComponent(id)}`;
}

function toMetadata(fields: JsonRecord): MetadataEntity {
  return {
    id: entityId(fields, 'a metadata record'),
    fileIdentifier: text(fields.file_identifier),
    type: string(fields.type),
    openData: boolean(fields.open_data),
    tags: tagMap(fields.tags),
    endpointIds: array(fields.endpoints).flatMap((e) => string(record(e)._id) ?? string(record(record(e).endpoint)._id) ?? []),
    update: string(fields.update),
  };
}

/** A list item that holds every field decided on (labels, paths, published); another is read whole. */
function isWholeAnnex(item: JsonRecord): boolean {
  return Array.isArray(item.labels) && Array.isArray(item.paths) && typeof item.published === 'boolean';
}

function toAnnex(fields: JsonRecord): Annex {
  return {
    id: entityId(fields, 'an annex'),
    paths: array(fields.paths).flatMap((p) => string(p) ?? []),
    labels: array(fields.labels).flatMap((l) => string(l) ?? []),
    published: fields.published === true,
  };
}
