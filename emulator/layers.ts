import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, parseObject, readText } from './http.js';
import type { Store } from './store.js';
import type { FaultKind } from './core.js';
import type { LayerOptions } from './options.js';
import {
  DEFAULT_ENDPOINTS,
  OTHER_PROCESSING,
  PYRAMID_PARAMETERS,
  PYRAMID_PROCESSING,
  TMS_LEVELS,
  type ConfigurationRecord,
  type Endpoint,
  type OfferingRecord,
  type ProcessingExecutionRecord,
  type StoredDataRecord,
} from './layer-records.js';
import { listItem, pageOf, tagFilters, type ListKind, type ListMode, type PagingVariant } from './lists.js';

export { PYRAMID_PROCESSING } from './layer-records.js';
export type { ConfigurationRecord, OfferingRecord, ProcessingExecutionRecord, StoredDataRecord } from './layer-records.js';

/**
 * The routes from a CLOSED upload to a served layer (docs/api.md, "Layers"): processings and
 * their executions, stored data (pyramids), configurations, endpoints and offerings. Strict where
 * the sources say the API is (enums, levels present in the pyramid, layer_name unique per type,
 * 409 on a stored data still used, an upload that is not CLOSED refused), with timed transitions.
 * The ids are not production's: a client that hard-codes them fails here.
 */

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  params: string[];
  query: URLSearchParams;
  fault?: FaultKind;
}

type Json = (c: Ctx, status: number, body: unknown) => void;
/** The routes, most specific first (the dispatcher takes the first that matches). */
type Route = { name: string; method: string; pattern: string; handler: (c: Ctx) => Promise<void> | void };
type Later = (ms: number, task: () => void | Promise<void>) => void;

export class LayerRoutes {
  readonly storedData = new Map<string, StoredDataRecord>();
  readonly executions = new Map<string, ProcessingExecutionRecord>();
  readonly configurations = new Map<string, ConfigurationRecord>();
  readonly offerings = new Map<string, OfferingRecord>();
  readonly endpoints: Endpoint[] = DEFAULT_ENDPOINTS.map((e) => ({ ...e }));
  /** The stored data a client sees: those soft-deleted (DELETED, about to be gone) left out. */
  liveStoredData(): StoredDataRecord[] {
    return [...this.storedData.values()].filter((sd) => sd.status !== 'DELETED');
  }

  /** Every configuration PUT's body, as sent (tests look for what a client sends back). */
  readonly putBodies: Array<{ configuration: string; body: Record<string, unknown> }> = [];

  constructor(
    private readonly store: () => Store,
    private readonly json: Json,
    private readonly later: Later,
    /** Read at each use: a test may change them between runs (a failure, say). */
    readonly options: LayerOptions,
    /** Where the services answer, for the offerings' urls. */
    private readonly serviceRoot: () => string,
    /** How lists answer: their items' fields, and the paging variant. */
    private readonly listing: () => { mode: ListMode } & PagingVariant = () => ({ mode: 'base' }),
  ) {}

  /** The routes, most specific first (the dispatcher takes the first that matches). */
  routes(ds: string): Route[] {
    return [...this.pyramidRoutes(ds), ...this.publicationRoutes(ds)];
  }

  /** Processings, their executions, and the stored data they make. */
  private pyramidRoutes(ds: string): Route[] {
    const exec = `${ds}/processings/executions/([^/]+)`;
    return [
      {
        name: 'processings',
        method: 'GET',
        pattern: `${ds}/processings`,
        handler: (c) => this.page(c, [this.pyramidProcessing(), OTHER_PROCESSING], 'processings'),
      },
      { name: 'executions', method: 'GET', pattern: `${ds}/processings/executions`, handler: (c) => this.listExecutions(c) },
      { name: 'createExecution', method: 'POST', pattern: `${ds}/processings/executions`, handler: (c) => this.createExecution(c) },
      { name: 'launch', method: 'POST', pattern: `${exec}/launch`, handler: (c) => this.launch(c) },
      { name: 'executionLogs', method: 'GET', pattern: `${exec}/logs`, handler: (c) => this.page(c, this.execution(c).logs) },
      {
        name: 'processingExecution',
        method: 'GET',
        pattern: exec,
        handler: (c) => this.json(c, 200, this.executionView(this.execution(c))),
      },
      { name: 'processing', method: 'GET', pattern: `${ds}/processings/([^/]+)`, handler: (c) => this.processing(c) },
      { name: 'storedDataList', method: 'GET', pattern: `${ds}/stored_data`, handler: (c) => this.listStoredData(c) },
      {
        name: 'storedDataDependencies',
        method: 'GET',
        pattern: `${ds}/stored_data/([^/]+)/dependencies`,
        handler: (c) => this.dependencies(c),
      },
      { name: 'storedDataTags', method: 'POST', pattern: `${ds}/stored_data/([^/]+)/tags`, handler: (c) => this.tagStoredData(c) },
      {
        name: 'storedData',
        method: 'GET',
        pattern: `${ds}/stored_data/([^/]+)`,
        handler: (c) => this.json(c, 200, this.storedDataView(this.sd(c.params[1]))),
      },
      { name: 'deleteStoredData', method: 'DELETE', pattern: `${ds}/stored_data/([^/]+)`, handler: (c) => this.deleteStoredData(c) },
    ];
  }

  /** Configurations, their offerings, and offerings. */
  private publicationRoutes(ds: string): Route[] {
    return [
      { name: 'configurations', method: 'GET', pattern: `${ds}/configurations`, handler: (c) => this.listConfigurations(c) },
      { name: 'createConfiguration', method: 'POST', pattern: `${ds}/configurations`, handler: (c) => this.createConfiguration(c) },
      {
        name: 'configurationOfferings',
        method: 'GET',
        pattern: `${ds}/configurations/([^/]+)/offerings`,
        handler: (c) =>
          this.page(
            c,
            this.offeringsOf(this.configuration(c.params[1])._id).map((o) => this.offeringView(o)),
            'offerings',
          ),
      },
      { name: 'createOffering', method: 'POST', pattern: `${ds}/configurations/([^/]+)/offerings`, handler: (c) => this.createOffering(c) },
      {
        name: 'tagConfiguration',
        method: 'POST',
        pattern: `${ds}/configurations/([^/]+)/tags`,
        handler: async (c) => {
          const conf = this.configuration(c.params[1]);
          const body = parseObject(await readText(c.req));
          if (Object.values(body).some((v) => typeof v !== 'string')) throw new HttpError(400, ['Les tags doivent être des chaînes']);
          Object.assign(conf.tags, body);
          this.json(c, 200, conf.tags);
        },
      },
      {
        name: 'configuration',
        method: 'GET',
        pattern: `${ds}/configurations/([^/]+)`,
        handler: (c) => this.json(c, 200, this.configuration(c.params[1])),
      },
      {
        name: 'replaceConfiguration',
        method: 'PUT',
        pattern: `${ds}/configurations/([^/]+)`,
        handler: (c) => this.replaceConfiguration(c),
      },
      {
        name: 'offering',
        method: 'GET',
        pattern: `${ds}/offerings/([^/]+)`,
        handler: (c) => this.json(c, 200, this.offeringView(this.offering(c.params[1]))),
      },
      { name: 'syncOffering', method: 'PUT', pattern: `${ds}/offerings/([^/]+)`, handler: (c) => this.syncOffering(c) },
      { name: 'deleteOffering', method: 'DELETE', pattern: `${ds}/offerings/([^/]+)`, handler: (c) => this.deleteOffering(c) },
    ];
  }

  /** The processing, under the name the options give it (§12.11: the sources use two). */
  private pyramidProcessing(): typeof PYRAMID_PROCESSING {
    return { ...PYRAMID_PROCESSING, name: this.options.processingName ?? PYRAMID_PROCESSING.name };
  }

  /** What `GET /datastores/{ds}` adds: the processings it sees and its endpoints, wrapped. */
  datastoreFields(): Record<string, unknown> {
    return {
      processings: [PYRAMID_PROCESSING, OTHER_PROCESSING].map((p) => p._id),
      endpoints: this.endpoints.map((e) => ({
        use: [...this.offerings.values()].filter((o) => o.endpointId === e._id).length,
        quota: e.quota,
        endpoint: { ...e, urls: this.endpointUrls(e) },
      })),
    };
  }

  // ---------------------------------------------------------------- processings and executions

  private processing(c: Ctx): void {
    if (c.params[1] !== PYRAMID_PROCESSING._id) {
      if (c.params[1] === OTHER_PROCESSING._id) return this.json(c, 200, { ...OTHER_PROCESSING, parameters: [] });
      throw new HttpError(404, [`Le traitement ${c.params[1]} n'existe pas`]);
    }
    this.json(c, 200, {
      ...this.pyramidProcessing(),
      input_types: { upload: ['RASTER'], stored_data: ['ROK4-PYRAMID-RASTER'] },
      output_type: { stored_data: 'ROK4-PYRAMID-RASTER', storage: ['S3'] },
      parameters: PYRAMID_PARAMETERS,
      required_checks: [{ _id: 'a4060831-9c6f-42e2-9435-e07a4e8ef535', name: 'Vérification raster' }],
    });
  }

  private async createExecution(c: Ctx): Promise<void> {
    const body = parseObject(await readText(c.req));
    if (body.processing !== PYRAMID_PROCESSING._id) throw new HttpError(400, [`Le traitement ${String(body.processing)} n'existe pas`]);
    const uploads = ((body.inputs as { upload?: unknown })?.upload ?? []) as unknown[];
    if (!Array.isArray(uploads) || uploads.length !== 1) throw new HttpError(400, ['inputs.upload doit contenir une livraison']);
    const upload = this.store().uploads.get(String(uploads[0]));
    if (!upload || upload.status === 'DELETED') throw new HttpError(400, [`La livraison ${String(uploads[0])} n'existe pas`]);
    if (upload.type !== 'RASTER') throw new HttpError(400, [`La livraison ${upload._id} n'est pas de type RASTER`]);
    if (upload.status !== 'CLOSED')
      throw new HttpError(400, [`La livraison ${upload._id} est ${upload.status} : les vérifications requises ne sont pas passées`]);
    const output = (body.output as { stored_data?: { name?: unknown } })?.stored_data;
    if (!output || typeof output.name !== 'string' || !output.name) throw new HttpError(400, ['output.stored_data.name est obligatoire']);
    const references = this.referencedPyramids(body.inputs);
    const parameters = this.validParameters(body.parameters, references);
    const now = this.store().now();
    const sd: StoredDataRecord = {
      _id: randomUUID(),
      name: output.name,
      type: 'ROK4-PYRAMID-RASTER',
      status: 'CREATED',
      size: 0,
      tags: {},
      creation: now,
      references: references.map((r) => r._id),
    };
    this.storedData.set(sd._id, sd);
    const execution: ProcessingExecutionRecord = {
      _id: randomUUID(),
      status: 'CREATED',
      uploadId: upload._id,
      storedDataId: sd._id,
      parameters,
      creation: now,
      logs: [],
    };
    this.executions.set(execution._id, execution);
    this.json(c, 201, this.executionView(execution));
  }

  /**
   * `inputs.stored_data`: live, GENERATED pyramids the new one references (docs/api.md, "Layers":
   * the update "au fur et à mesure"). None for an initial generation.
   */
  private referencedPyramids(inputs: unknown): StoredDataRecord[] {
    const ids = (inputs as { stored_data?: unknown })?.stored_data ?? [];
    if (!Array.isArray(ids)) throw new HttpError(400, ['inputs.stored_data doit être une liste']);
    return ids.map((id) => {
      const sd = this.storedData.get(String(id));
      if (!sd) throw new HttpError(400, [`La donnée stockée ${String(id)} n'existe pas`]);
      if (sd.status !== 'GENERATED') throw new HttpError(400, [`La donnée stockée ${sd._id} est ${sd.status}, pas GENERATED`]);
      return sd;
    });
  }

  /**
   * The parameters against the processing's list, defaults filled. `tms` and `compression` are
   * required for an initial generation only: a pyramid that references another inherits them, and
   * its levels, from the one it references (`parameters: {}` in IGN's guide).
   */
  private validParameters(given: unknown, references: StoredDataRecord[]): Record<string, unknown> {
    const parameters = { ...(given as Record<string, unknown>) };
    const problems: string[] = [];
    for (const [name, value] of Object.entries(parameters)) {
      const spec = PYRAMID_PARAMETERS.find((p) => p.name === name);
      if (!spec) problems.push(`Paramètre inconnu : ${name}`);
      else if ('enum' in spec.constraints && !(spec.constraints.enum as unknown[]).includes(value))
        problems.push(`Valeur ${String(value)} non autorisée pour ${name}`);
      else if (spec.constraints.type === 'boolean' && typeof value !== 'boolean')
        problems.push(`Le paramètre ${name} doit être un booléen, pas ${JSON.stringify(value)}`);
    }
    const base = references.length ? [...this.executions.values()].find((e) => e.storedDataId === references[0]._id) : undefined;
    // Masks belong to the pyramid: a chained one inherits them (§12.5: an update cannot add them).
    for (const name of ['tms', 'compression', 'interpolation', 'bottom', 'top', 'mask'])
      if (parameters[name] === undefined && base?.parameters[name] !== undefined) parameters[name] = base.parameters[name];
    for (const name of ['tms', 'compression'])
      if (parameters[name] === undefined) problems.push(`Le paramètre ${name} est obligatoire pour une génération initiale`);
    if (problems.length) throw new HttpError(400, problems);
    for (const spec of PYRAMID_PARAMETERS)
      if ('default_value' in spec && parameters[spec.name] === undefined) parameters[spec.name] = spec.default_value;
    return parameters;
  }

  private launch(c: Ctx): void {
    const execution = this.execution(c);
    if (execution.status !== 'CREATED') throw new HttpError(409, [`L'exécution est ${execution.status} : elle ne peut pas être lancée`]);
    execution.status = 'WAITING';
    execution.launch = this.store().now();
    const duration = this.options.pyramidDurationMs ?? 200;
    const sd = this.sd(execution.storedDataId);
    this.later(duration / 2, () => {
      execution.status = 'PROGRESS';
      execution.start = this.store().now();
      sd.status = 'GENERATING';
      execution.logs.push(logLine('INFO', `Calcul de la pyramide ${sd.name} (TMS ${String(execution.parameters.tms)})`));
      this.later(duration / 2, () => {
        execution.finish = this.store().now();
        if ((this.options.abortNext ?? 0) > 0) {
          // A transient fault on the platform: the execution ends ABORTED, its stored data UNSTABLE.
          this.options.abortNext = (this.options.abortNext ?? 0) - 1;
          execution.status = 'ABORTED';
          sd.status = 'UNSTABLE';
          execution.logs.push(logLine('ERROR', 'Exécution interrompue'));
          return;
        }
        if (this.options.pyramidFailure) {
          execution.status = 'FAILURE';
          sd.status = 'UNSTABLE';
          execution.logs.push(
            logLine(
              'ERROR',
              'Impossible de lire la dalle /mnt/upload/data/ortho/ortho_650000_6860000.tif : compression JPEG non supportée',
            ),
          );
          return;
        }
        execution.status = 'SUCCESS';
        execution.logs.push(logLine('INFO', 'Pyramide calculée'));
        const generate = () => this.generate(sd, execution);
        if (this.options.storedDataLagMs) this.later(this.options.storedDataLagMs, generate);
        else generate();
      });
    });
    this.json(c, 200, this.executionView(execution));
  }

  /**
   * A built pyramid: its levels from its own execution's parameters, or for a chained one from its
   * upload alone (§12.2: not the ancestor's), and its extent from its upload's files, joined with
   * the ancestor's (the ancestor's slabs are referenced: §12.3).
   */
  private generate(sd: StoredDataRecord, execution: ProcessingExecutionRecord): void {
    const tms = String(execution.parameters.tms);
    const all = TMS_LEVELS[tms].levels;
    const own = sd.references.length === 0;
    const bottom =
      own && execution.parameters.bottom !== undefined ? String(execution.parameters.bottom) : String(Math.min(18, all.length - 1));
    const top = own && execution.parameters.top !== undefined ? String(execution.parameters.top) : '0';
    // Levels come unordered, as the API gives them.
    const levels = all.filter((l) => Number(l) >= Number(top) && Number(l) <= Number(bottom));
    sd.status = 'GENERATED';
    sd.srs = TMS_LEVELS[tms].srs;
    sd.size = 1_000_000 + levels.length * 12_345;
    sd.type_infos = {
      tms,
      levels: [...levels.filter((l) => Number(l) > 10), ...levels.filter((l) => Number(l) <= 10)],
      channels_format: 'UINT8',
      channels_number: 3,
      compression: String(execution.parameters.compression).toUpperCase(),
      nodata_value: '255,255,255',
    };
    sd.extent = this.extentOf(execution.uploadId, sd.references);
  }

  /**
   * Where a pyramid lies, as the server computes it (lon/lat): one small cell near Paris for each
   * file its upload holds, placed by the file's path, joined with the pyramids it references. Not
   * GDAL's footprint, but it moves when the files do, as a computed extent does.
   */
  private extentOf(uploadId: string, references: string[]): { type: 'Polygon'; coordinates: number[][][] } {
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    const add = (w: number, s: number, e: number, n: number) => {
      box[0] = Math.min(box[0], w);
      box[1] = Math.min(box[1], s);
      box[2] = Math.max(box[2], e);
      box[3] = Math.max(box[3], n);
    };
    for (const path of this.store().uploads.get(uploadId)?.files.keys() ?? []) {
      if (!path.startsWith('data/')) continue;
      const cell = [...path].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % 100;
      const [w, s] = [2.3 + (cell % 10) * 0.01, 48.8 + Math.floor(cell / 10) * 0.01];
      add(w, s, w + 0.01, s + 0.01);
    }
    for (const id of references) {
      const ring = (this.storedData.get(id)?.extent as { coordinates?: number[][][] } | undefined)?.coordinates?.[0] ?? [];
      for (const [x, y] of ring) add(x, y, x, y);
    }
    if (!Number.isFinite(box[0])) add(2.33, 48.84, 2.36, 48.86);
    const [w, s, e, n] = box;
    return {
      type: 'Polygon',
      coordinates: [
        [
          [w, s],
          [e, s],
          [e, n],
          [w, n],
          [w, s],
        ],
      ],
    };
  }

  /** `type_infos.bbox` as the server computes it when none is given (§12.6): the pyramid's extent. */
  private computedBbox(typeInfos: ConfigurationRecord['type_infos']): Record<string, number> | undefined {
    const sd = this.storedData.get(String(typeInfos.used_data[0]?.stored_data));
    const ring = (sd?.extent as { coordinates?: number[][][] } | undefined)?.coordinates?.[0];
    if (!ring) return undefined;
    const xs = ring.map((p) => p[0]);
    const ys = ring.map((p) => p[1]);
    return { west: Math.min(...xs), south: Math.min(...ys), east: Math.max(...xs), north: Math.max(...ys) };
  }

  private listExecutions(c: Ctx): void {
    const output = c.query.get('output_stored_data');
    const status = c.query.get('status');
    const items = [...this.executions.values()].filter((e) => (!output || e.storedDataId === output) && (!status || e.status === status));
    this.page(
      c,
      items.map((e) => this.executionView(e)),
      'executions',
    );
  }

  private executionView(e: ProcessingExecutionRecord): Record<string, unknown> {
    const sd = this.storedData.get(e.storedDataId);
    const upload = this.store().uploads.get(e.uploadId);
    return {
      _id: e._id,
      processing: { _id: PYRAMID_PROCESSING._id, name: this.pyramidProcessing().name },
      status: e.status,
      creation: e.creation,
      launch: e.launch,
      start: e.start,
      finish: e.finish,
      inputs: {
        upload: upload ? [{ _id: upload._id, type: upload.type, name: upload.name, status: upload.status, srs: upload.srs }] : [],
        stored_data: (sd?.references ?? []).map((id) => ({ _id: id, name: this.storedData.get(id)?.name, type: 'ROK4-PYRAMID-RASTER' })),
      },
      output: { stored_data: { _id: e.storedDataId, name: sd?.name, type: 'ROK4-PYRAMID-RASTER', status: sd?.status ?? 'DELETED' } },
      parameters: e.parameters,
    };
  }

  // ---------------------------------------------------------------- stored data

  private listStoredData(c: Ctx): void {
    const tags = tagFilters(c.query);
    const name = c.query.get('name');
    const bare = this.options.bareLists === true;
    const items = [...this.storedData.values()].filter(
      (sd) =>
        sd.status !== 'DELETED' &&
        (bare || (tags.every(([k, v]) => sd.tags[k] === v) && (!name || sd.name.toLowerCase().includes(name.toLowerCase())))),
    );
    if (bare)
      return this.page(
        c,
        items.map((sd) => ({ _id: sd._id })),
      );
    this.page(
      c,
      items.map((sd) => this.storedDataView(sd)),
      'storedData',
    );
  }

  private async tagStoredData(c: Ctx): Promise<void> {
    const sd = this.sd(c.params[1]);
    const body = parseObject(await readText(c.req));
    if (Object.values(body).some((v) => typeof v !== 'string')) throw new HttpError(400, ['Les tags doivent être des chaînes']);
    Object.assign(sd.tags, body);
    this.json(c, 200, sd.tags);
  }

  private deleteStoredData(c: Ctx): void {
    const sd = this.sd(c.params[1]);
    const users = [...this.configurations.values()].filter((conf) => conf.type_infos.used_data.some((u) => u.stored_data === sd._id));
    if (users.length)
      throw new HttpError(409, [
        `La donnée stockée ${sd._id} est utilisée par ${users.map((u) => u.layer_name).join(', ')}. Est-ce que vous tentez de supprimer une ressource utilisée ?`,
      ]);
    const referencing = this.referencing(sd._id);
    if (referencing.length)
      throw new HttpError(409, [
        `La donnée stockée ${sd._id} est référencée par ${referencing.map((r) => r._id).join(', ')}. Est-ce que vous tentez de supprimer une ressource utilisée ?`,
      ]);
    // Soft: DELETED for a moment, then gone (§12.8: whether a DELETE is synchronous is UNCERTAIN).
    sd.status = 'DELETED';
    this.later(this.options.deleteLagMs ?? 30, () => void this.storedData.delete(sd._id));
    this.json(c, 204, undefined);
  }

  /** The live pyramids that reference `id`. */
  private referencing(id: string): StoredDataRecord[] {
    return [...this.storedData.values()].filter((other) => other.status !== 'DELETED' && other.references.includes(id));
  }

  /** `{used_by, use}`: the pyramids that reference this one, and those it references. */
  private dependencies(c: Ctx): void {
    const sd = this.sd(c.params[1]);
    const brief = (r: StoredDataRecord) => ({ _id: r._id, name: r.name });
    const use = sd.references.flatMap((id) =>
      this.storedData.get(id)?.status === 'DELETED' || !this.storedData.has(id) ? [] : [brief(this.sd(id))],
    );
    this.json(c, 200, { used_by: this.referencing(sd._id).map(brief), use });
  }

  private storedDataView(sd: StoredDataRecord): Record<string, unknown> {
    const { references: _references, ...whole } = sd;
    return {
      ...whole,
      open: false,
      visibility: 'PRIVATE',
      storage: { type: 'S3', labels: ['PYRAMIDE'] },
      last_event: { title: 'Mise à jour', date: sd.creation },
    };
  }

  // ---------------------------------------------------------------- configurations and offerings

  private listConfigurations(c: Ctx): void {
    const layer = c.query.get('layer_name');
    const type = c.query.get('type');
    // Pattern-like, as on other lists: contains, case-insensitive.
    const tags = tagFilters(c.query);
    const status = c.query.get('status');
    const items = [...this.configurations.values()].filter(
      (conf) =>
        (!layer || conf.layer_name.toLowerCase().includes(layer.toLowerCase())) &&
        (!type || conf.type === type) &&
        (!status || conf.status === status) &&
        tags.every(([k, v]) => conf.tags[k] === v),
    );
    this.page(c, items as unknown as Array<Record<string, unknown>>, 'configurations');
  }

  private async createConfiguration(c: Ctx): Promise<void> {
    const body = parseObject(await readText(c.req));
    const type = body.type;
    if (type !== 'WMTS-TMS' && type !== 'WMS-RASTER') throw new HttpError(400, [`Type de configuration inconnu : ${String(type)}`]);
    const layer = String(body.layer_name ?? '');
    if (!/^[A-Za-z_][A-Za-z0-9_\-.]*$/.test(layer)) throw new HttpError(400, [`Le nom de couche ${layer} n'est pas valide`]);
    const prefix = this.options.layerNamePrefix;
    if (prefix && !layer.startsWith(prefix)) throw new HttpError(400, [`Le nom de couche doit commencer par le préfixe ${prefix}`]);
    if ([...this.configurations.values()].some((conf) => conf.type === type && conf.layer_name === layer))
      throw new HttpError(409, [`Le nom de couche ${layer} est déjà utilisé pour le type ${type}`]);
    const typeInfos = this.validTypeInfos(body.type_infos);
    typeInfos.bbox ??= this.computedBbox(typeInfos);
    const conf: ConfigurationRecord = {
      _id: randomUUID(),
      type,
      name: String(body.name ?? layer),
      layer_name: layer,
      status: 'UNPUBLISHED',
      type_infos: typeInfos,
      tags: {},
      ...validMetadata(body.metadata),
      ...(body.attribution !== undefined ? { attribution: body.attribution } : {}),
      creation: this.store().now(),
    };
    conf.update = conf.creation;
    this.configurations.set(conf._id, conf);
    this.json(c, 201, conf);
  }

  private async replaceConfiguration(c: Ctx): Promise<void> {
    const conf = this.configuration(c.params[1]);
    const body = parseObject(await readText(c.req));
    this.putBodies.push({ configuration: conf._id, body: structuredClone(body) });
    if (body.type !== conf.type) throw new HttpError(400, ['Le type d’une configuration ne peut pas changer']);
    if (body.layer_name !== undefined && body.layer_name !== conf.layer_name)
      throw new HttpError(400, ['Le nom de couche ne peut pas changer']);
    conf.type_infos = this.validTypeInfos(body.type_infos);
    // A bbox sent is kept as sent (data outside it stays invisible); none sent is computed again.
    conf.type_infos.bbox ??= this.computedBbox(conf.type_infos);
    conf.name = String(body.name ?? conf.name);
    // A full PUT: what the body leaves out is gone (metadata, attribution), as with type_infos.
    const { metadata } = validMetadata(body.metadata);
    if (metadata) conf.metadata = metadata;
    else delete conf.metadata;
    if (body.attribution !== undefined) conf.attribution = body.attribution;
    else delete conf.attribution;
    conf.update = this.store().now();
    this.json(c, 200, conf);
  }

  private validTypeInfos(value: unknown): ConfigurationRecord['type_infos'] {
    const infos = (value ?? {}) as ConfigurationRecord['type_infos'];
    if (typeof infos.title !== 'string' || !infos.title || typeof infos.abstract !== 'string' || !infos.abstract)
      throw new HttpError(400, ['type_infos.title et type_infos.abstract sont obligatoires']);
    if (!Array.isArray(infos.used_data) || infos.used_data.length === 0) throw new HttpError(400, ['type_infos.used_data est obligatoire']);
    for (const used of infos.used_data) {
      const sd = this.storedData.get(String(used.stored_data));
      if (!sd) throw new HttpError(400, [`La donnée stockée ${String(used.stored_data)} n'existe pas`]);
      if (sd.status !== 'GENERATED') throw new HttpError(400, [`La donnée stockée ${sd._id} est ${sd.status}, pas GENERATED`]);
      const levels = (sd.type_infos?.levels ?? []) as string[];
      for (const level of [used.bottom_level, used.top_level])
        if (typeof level !== 'string' || !levels.includes(level))
          throw new HttpError(400, [`Le niveau ${String(level)} est absent de la pyramide ${sd._id}`]);
    }
    return infos;
  }

  private async createOffering(c: Ctx): Promise<void> {
    const conf = this.configuration(c.params[1]);
    const body = parseObject(await readText(c.req));
    const endpoint = this.endpoints.find((e) => e._id === body.endpoint);
    if (!endpoint) throw new HttpError(400, [`Le point d'accès ${String(body.endpoint)} n'appartient pas à l'entrepôt`]);
    if (endpoint.type !== conf.type)
      throw new HttpError(400, [`Le point d'accès ${endpoint._id} est de type ${endpoint.type}, pas ${conf.type}`]);
    if ('visibility' in body) throw new HttpError(400, ['Le champ visibility n’existe plus : utilisez open']);
    if (this.offeringsOf(conf._id).some((o) => o.endpointId === endpoint._id))
      throw new HttpError(409, [`La configuration ${conf._id} est déjà publiée sur ${endpoint._id}`]);
    if ([...this.offerings.values()].filter((o) => o.endpointId === endpoint._id).length >= endpoint.quota)
      throw new HttpError(400, [`Quota du point d'accès ${endpoint._id} atteint`]);
    const offering: OfferingRecord = {
      _id: randomUUID(),
      configurationId: conf._id,
      endpointId: endpoint._id,
      open: endpoint.open ? true : body.open === true,
      status: 'PUBLISHING',
      creation: this.store().now(),
      update: '',
    };
    offering.update = offering.creation;
    this.offerings.set(offering._id, offering);
    this.publishLater(offering, conf);
    this.json(c, 201, this.offeringView(offering));
  }

  /**
   * The sync (§12.9): a moment after the PUT (when is UNCERTAIN) the offering turns MODIFYING with
   * a new `update` date, then PUBLISHED; the answer and the reads just after it still show the
   * state before, so a PUBLISHED read then predates the sync.
   */
  private syncOffering(c: Ctx): void {
    const offering = this.offering(c.params[1]);
    const conf = this.configuration(offering.configurationId);
    this.later(this.options.modifyingLagMs ?? 20, () => {
      offering.update = this.store().now();
      offering.status = 'MODIFYING';
      conf.status = 'SYNCHRONIZING';
      this.publishLater(offering, conf);
    });
    this.json(c, 200, this.offeringView(offering));
  }

  /** UNPUBLISHING for a moment, then gone; its configuration then UNPUBLISHED (docs: SDK and QGIS poll until 404). */
  private deleteOffering(c: Ctx): void {
    const offering = this.offering(c.params[1]);
    offering.status = 'UNPUBLISHING';
    this.later(this.options.publishDelayMs ?? 50, () => {
      this.offerings.delete(offering._id);
      const conf = this.configurations.get(offering.configurationId);
      if (conf && this.offeringsOf(conf._id).length === 0) conf.status = 'UNPUBLISHED';
    });
    this.json(c, 204, undefined);
  }

  private publishLater(offering: OfferingRecord, conf: ConfigurationRecord, since = offering.update): void {
    this.later(this.options.publishDelayMs ?? 50, () => {
      if (offering.update !== since) return;
      offering.status = this.options.offeringFailure ? 'UNSTABLE' : 'PUBLISHED';
      conf.status = 'PUBLISHED';
    });
  }

  private offeringView(o: OfferingRecord): Record<string, unknown> {
    const conf = this.configurations.get(o.configurationId);
    const endpoint = this.endpoints.find((e) => e._id === o.endpointId) as Endpoint;
    return {
      _id: o._id,
      open: o.open,
      available: true,
      visibility: o.open ? 'PUBLIC' : 'PRIVATE',
      layer_name: conf?.layer_name,
      type: conf?.type,
      status: o.status,
      configuration: { _id: o.configurationId, name: conf?.name, status: conf?.status },
      endpoint: { _id: endpoint._id, name: endpoint.name },
      urls: conf ? this.offeringUrls(endpoint, conf.layer_name) : [],
      creation: o.creation,
      update: o.update,
    };
  }

  private endpointUrls(e: Endpoint): Array<{ type: string; url: string }> {
    const root = `${this.serviceRoot()}${e.open ? '' : '/private'}`;
    return e.type === 'WMTS-TMS'
      ? [
          { type: 'WMTS', url: `${root}/wmts` },
          { type: 'TMS', url: `${root}/tms/` },
        ]
      : [{ type: 'WMS', url: `${root}/wms-r/wms` }];
  }

  /** As the real offerings carry them: WMTS and TMS for a WMTS-TMS layer, a GetMap template for WMS. */
  private offeringUrls(e: Endpoint, layer: string): Array<{ type: string; url: string }> {
    const root = `${this.serviceRoot()}${e.open ? '' : '/private'}`;
    return e.type === 'WMTS-TMS'
      ? [
          { type: 'WMTS', url: `${root}/wmts?SERVICE=WMTS&VERSION=1.0.0&REQUEST=GetCapabilities` },
          { type: 'TMS', url: `${root}/tms/1.0.0/${layer}` },
        ]
      : [
          {
            type: 'WMS',
            url: `${root}/wms-r?service=WMS&version=1.3.0&request=GetMap&layers=${layer}&bbox={xmin},{ymin},{xmax},{ymax}&styles={styles}&width={width}&height={height}&srs={srs}&format={format}`,
          },
        ];
  }

  // ---------------------------------------------------------------- helpers

  offeringsOf(configurationId: string): OfferingRecord[] {
    return [...this.offerings.values()].filter((o) => o.configurationId === configurationId);
  }

  private execution(c: Ctx): ProcessingExecutionRecord {
    const e = this.executions.get(c.params[1]);
    if (!e) throw new HttpError(404, [`L'exécution ${c.params[1]} n'existe pas`]);
    return e;
  }

  private sd(id: string): StoredDataRecord {
    const sd = this.storedData.get(id);
    if (!sd) throw new HttpError(404, [`La donnée stockée ${id} n'existe pas`]);
    return sd;
  }

  private configuration(id: string): ConfigurationRecord {
    const conf = this.configurations.get(id);
    if (!conf) throw new HttpError(404, [`La configuration ${id} n'existe pas`]);
    return conf;
  }

  private offering(id: string): OfferingRecord {
    const o = this.offerings.get(id);
    if (!o) throw new HttpError(404, [`L'offre ${id} n'existe pas`]);
    return o;
  }

  /**
   * A list page with `Content-Range`, as every list of the API; with `kind`, each item reduced to
   * that list DTO's fields (details stay whole).
   */
  private page(c: Ctx, all: unknown[], kind?: ListKind): void {
    const { mode, ...variant } = this.listing();
    const { status, items, contentRange } = pageOf(all, c.query, variant);
    if (contentRange) c.res.setHeader('content-range', contentRange);
    this.json(c, status, kind ? items.map((item) => listItem(item as Record<string, unknown>, kind, c.query, mode)) : items);
  }
}

/** `metadata[]` as ConfigurationMetadata items: a mime `format`, a `url`, a `type` of the enum (entrepot-api-catalogue.md §4). */
function validMetadata(value: unknown): { metadata?: Array<{ format: string; url: string; type: string }> } {
  if (value === undefined || value === null) return {};
  if (!Array.isArray(value)) throw new HttpError(400, ['metadata doit être une liste']);
  const types = ['ISO19115:2003', 'FGDC', 'TC211', '19139', 'Other', 'StyleSheet'];
  return {
    metadata: value.map((item: Record<string, unknown>) => {
      const { format, url, type } = item ?? {};
      if (typeof format !== 'string' || !/^\w+\/[-+.\w]+$/.test(format))
        throw new HttpError(400, [`metadata.format invalide : ${String(format)}`]);
      if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new HttpError(400, [`metadata.url invalide : ${String(url)}`]);
      if (typeof type !== 'string' || !types.includes(type)) throw new HttpError(400, [`metadata.type invalide : ${String(type)}`]);
      return { format, url, type };
    }),
  };
}

function logLine(level: 'INFO' | 'ERROR', message: string): string {
  const stamp = new Date().toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
  return `${stamp}${level}||rok4||42||${message}`;
}
