import { InputError, PyramidFailedError, TimeoutError, UploadStateError, list } from './errors.js';
import type { LayerApi } from './entrepot/layers.js';
import { errorLinesOf, FAILED_EXECUTION_STATUSES, splitLogLine } from './entrepot/status.js';
import type { Configuration, Offering, ProcessingParameter, ServiceType, StoredData, Upload } from './entrepot/types.js';
import type { Config } from './inputs.js';
import { poll, type PollOptions } from './poll.js';

/**
 * From a CLOSED upload to a served layer, as IGN's developer guides chain it (docs/api.md,
 * "Layers"): build a ROK4 pyramid from the upload, point one configuration per service at it
 * (created the first time, replaced in full on later merges), publish or re-synchronise their
 * offerings, then delete the upload and the pyramid the layer used before. The pyramid and the
 * upload carry tags that let a re-run pick up where an earlier one stopped. Knows nothing of
 * GitHub: it emits events and returns a report.
 */

/** Found by name among the datastore's processings: ids differ between environments. */
export const PYRAMID_PROCESSING_NAME = 'Calcul de pyramide raster';

export type LayerOptions = Pick<
  Config,
  | 'layer'
  | 'services'
  | 'tms'
  | 'compression'
  | 'interpolation'
  | 'bottomLevel'
  | 'topLevel'
  | 'layerTitle'
  | 'layerAbstract'
  | 'public'
  | 'processingTimeoutMs'
  | 'keepUpload'
  | 'pollIntervalMs'
  | 'dryRun'
> & {
  /** The input's tags and the provenance tags, set on the pyramid too. */
  tags: Record<string, string>;
  /** Deletes the upload once the pyramid holds its data: the upload routes are not the chain's. */
  deleteUpload: (uploadId: string) => Promise<void>;
  signal?: AbortSignal;
};

export interface PublishedService {
  type: ServiceType;
  configurationId: string;
  offering?: Offering;
}

export interface LayerReport {
  layer: string;
  /** What the run did to the layer, or would do in a dry run. */
  action: 'created' | 'updated' | 'would create' | 'would update';
  parameters: Record<string, string>;
  storedData?: StoredData;
  services: PublishedService[];
  /** Pyramids the layer used before, deleted once nothing used them. */
  deletedPyramids: string[];
  uploadDeleted: boolean;
  /** Service type → URL, from the offerings. */
  urls: Record<string, string>;
  /** A picture of the layer served by the layer itself (public layers only). */
  preview?: string;
  /** In a dry run, the live layer's extent [west, south, east, north], when it exists. */
  currentExtent?: [number, number, number, number];
}

export type LayerEvent =
  | { type: 'phase'; phase: 'pyramid' | 'configure' | 'publish' | 'clean'; title: string }
  | { type: 'stored-data'; storedData: StoredData }
  | { type: 'layer'; report: LayerReport }
  | { type: 'info' | 'warning'; message: string };

/** Tag keys the action sets on the pyramid: which layer, which upload, which pyramids it replaces. */
const TAG_LAYER = 'layer';
const TAG_UPLOAD = 'upload_id';
const TAG_REPLACES = 'replaces';

const SERVICE_TYPES: Record<'wmts' | 'wms', ServiceType> = { wmts: 'WMTS-TMS', wms: 'WMS-RASTER' };

type Emit = (event: LayerEvent) => void;

/** The processing to run and the parameters to send: read, and refused when wrong, before anything is sent. */
export interface LayerPlan {
  processingId: string;
  parameters: Record<string, string>;
}

export async function prepareLayer(api: LayerApi, options: LayerOptions): Promise<LayerPlan> {
  const all = await api.processings();
  const found = all.find((p) => p.name === PYRAMID_PROCESSING_NAME);
  if (!found)
    throw new UploadStateError(
      `The datastore has no processing named '${PYRAMID_PROCESSING_NAME}' (it has ${list(all.map((p) => p.name)) || 'none'}); ask IGN to give the datastore access to it`,
    );
  return { processingId: found.id, parameters: checkParameters(options, await api.processingParameters(found.id)) };
}

export async function publishLayer(
  api: LayerApi,
  upload: Upload | undefined,
  options: LayerOptions,
  plan: LayerPlan,
  emit: Emit = () => undefined,
): Promise<LayerReport> {
  return new LayerRun(api, upload, options, plan, emit).execute();
}

/** The parameters to send, refused when the processing does not allow them. */
function checkParameters(options: LayerOptions, declared: ProcessingParameter[]): Record<string, string> {
  const wanted: Array<[input: string, name: string, value: string | undefined]> = [
    ['tms', 'tms', options.tms],
    ['compression', 'compression', options.compression],
    ['interpolation', 'interpolation', options.interpolation],
    ['bottom-level', 'bottom', options.bottomLevel],
    ['top-level', 'top', options.topLevel],
  ];
  const parameters: Record<string, string> = {};
  for (const [input, name, value] of wanted) {
    if (value === undefined) continue;
    parameters[name] = value;
    // A processing that does not list its parameters cannot be checked against: the server will say.
    if (declared.length === 0) continue;
    const spec = declared.find((p) => p.name === name);
    if (!spec) throw new InputError(input, `the processing '${PYRAMID_PROCESSING_NAME}' has no parameter '${name}'; remove ${input}`);
    if (spec.allowed && !spec.allowed.includes(value))
      throw new InputError(
        input,
        `'${value}' is not one the processing allows (${spec.allowed.join(', ')}); for example ${input}: ${spec.allowed[0]}`,
      );
    parameters[name] = value;
  }
  return parameters;
}

class LayerRun {
  constructor(
    private readonly api: LayerApi,
    private readonly upload: Upload | undefined,
    private readonly options: LayerOptions,
    private readonly plan: LayerPlan,
    private readonly emit: Emit,
  ) {}

  async execute(): Promise<LayerReport> {
    const { api, options } = this;
    const layer = options.layer as string;
    this.emit({ type: 'phase', phase: 'pyramid', title: `Build the pyramid of layer ${layer}` });
    const { parameters } = this.plan;
    const types = options.services.map((s) => SERVICE_TYPES[s]);
    const existing = new Map<ServiceType, Configuration>();
    for (const type of types) {
      const [configuration] = await api.configurationsOf(layer, type);
      if (configuration) existing.set(type, configuration);
    }
    const report: LayerReport = {
      layer,
      action: existing.size ? 'updated' : 'created',
      parameters,
      services: [],
      deletedPyramids: [],
      uploadDeleted: false,
      urls: {},
    };
    if (options.dryRun || !this.upload) {
      report.action = existing.size ? 'would update' : 'would create';
      const live = [...existing.values()][0]?.usedData[0]?.stored_data;
      if (live) report.currentExtent = (await api.storedData(live).catch(() => undefined))?.bbox;
      this.emit({
        type: 'info',
        message: `Layer ${layer} would be ${existing.size ? 'updated' : 'created'} (${types.join(', ')}) with a pyramid built with ${Object.entries(
          parameters,
        )
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`,
      });
      this.emit({ type: 'layer', report });
      return report;
    }
    const upload = this.upload;

    const storedData = await this.pyramid(this.plan.processingId, upload, parameters, existing);
    report.storedData = storedData;
    this.emit({ type: 'stored-data', storedData });

    this.emit({ type: 'phase', phase: 'configure', title: `Configure ${types.join(' and ')}` });
    const replaced = new Set<string>((storedData.tags[TAG_REPLACES] ?? '').split(',').filter(Boolean));
    const endpoints = await api.endpoints();
    for (const type of types) {
      const endpoint = endpoints.find((e) => e.type === type && e.open === options.public);
      if (!endpoint)
        throw new UploadStateError(
          `The datastore has no ${options.public ? 'open' : 'private'} ${type} endpoint to publish on; set public: ${!options.public}, or ask IGN to add one`,
        );
      const configuration = await this.configure(type, storedData, existing.get(type), replaced);
      this.emit({ type: 'phase', phase: 'publish', title: `Publish ${type}` });
      const offering = await this.offer(configuration, endpoint.id, existing.has(type));
      report.services.push({ type, configurationId: configuration.id, offering });
      for (const url of offering.urls) if (url.type) report.urls[url.type] = url.url;
      this.emit({ type: 'layer', report });
    }

    this.emit({ type: 'phase', phase: 'clean', title: 'Clean up' });
    for (const old of replaced) {
      try {
        await api.deleteStoredData(old);
        report.deletedPyramids.push(old);
        this.emit({ type: 'info', message: `Deleted the previous pyramid ${old}: nothing uses it any more` });
      } catch (error) {
        this.emit({ type: 'warning', message: `The previous pyramid ${old} was kept: ${(error as Error).message}` });
      }
    }
    if (!options.keepUpload) {
      await options.deleteUpload(upload.id);
      report.uploadDeleted = true;
      this.emit({ type: 'info', message: `Deleted upload ${upload.id}: the pyramid holds the data now, and the quota is freed` });
    }
    report.preview = options.public ? previewUrl(report, storedData, options.compression) : undefined;
    this.emit({ type: 'layer', report });
    return report;
  }

  /**
   * The pyramid of this upload: the one an earlier run built or started (found by its tags), or a
   * new one. A failed one is never built again from the same upload.
   */
  private async pyramid(
    processingId: string,
    upload: Upload,
    parameters: Record<string, string>,
    existing: Map<ServiceType, Configuration>,
  ): Promise<StoredData> {
    const { api, options } = this;
    const layer = options.layer as string;
    const mine = (await api.storedDataTagged({ [TAG_LAYER]: layer, [TAG_UPLOAD]: upload.id }))[0];
    let executionId: string;
    let storedDataId: string;
    if (mine) {
      this.emit({
        type: 'info',
        message: `Pyramid ${mine.id} was made from upload ${upload.id} by an earlier run (${mine.status}): going on with it`,
      });
      if (mine.status === 'GENERATED') return mine;
      const [execution] = await api.executionsProducing(mine.id);
      if (!execution)
        throw new UploadStateError(`Pyramid ${mine.id} (${mine.status}) has no execution that makes it; delete it and re-run`);
      executionId = execution.id;
      storedDataId = mine.id;
      if (execution.status === 'CREATED') await api.launchExecution(execution.id);
    } else {
      // Run-unique name: after a lost answer, a stored data of this name says the execution was made.
      const outputName = `${layer} ${upload.id}`;
      const execution = await api.createExecution(
        {
          processing: processingId,
          inputs: { upload: [upload.id] },
          output: { stored_data: { name: outputName, storage_tags: ['PYRAMIDE'] } },
          parameters,
        },
        outputName,
      );
      // The answer names its output; one that does not is found by its run-unique name.
      const output = execution.storedDataId ?? (await api.storedDataNamed(outputName))[0]?.id;
      if (!output) throw new UploadStateError(`Execution ${execution.id} names no output stored data, and none is named '${outputName}'`);
      executionId = execution.id;
      storedDataId = output;
      const previous = [...existing.values()].flatMap((c) => c.usedData.map((u) => u.stored_data)).filter((id) => id !== storedDataId);
      // Tagged before launch, as the portal does: a re-run finds it, and knows what it replaces.
      await api.tagStoredData(storedDataId, {
        ...options.tags,
        [TAG_LAYER]: layer,
        [TAG_UPLOAD]: upload.id,
        ...(previous.length ? { [TAG_REPLACES]: [...new Set(previous)].join(',') } : {}),
      });
      this.emit({ type: 'stored-data', storedData: await api.storedData(storedDataId) });
      await api.launchExecution(executionId);
    }
    return this.awaitPyramid(executionId, storedDataId);
  }

  /** Polls until the execution is SUCCESS and its stored data GENERATED, within `processing-timeout`. */
  private awaitPyramid(executionId: string, storedDataId: string): Promise<StoredData> {
    const minutes = Math.round(this.options.processingTimeoutMs / 60_000);
    let last = '';
    const timeout = () =>
      new TimeoutError(
        `The pyramid was not built within ${minutes} min (input 'processing-timeout'); last status ${last || 'WAITING'}. Re-run to keep waiting: the same pyramid is awaited, not built again`,
      );
    return poll(this.pollOptions(this.options.pollIntervalMs, timeout), async (signal) => {
      const api = this.api.within(signal);
      // The stored data first: it turns UNSTABLE with its execution's FAILURE, so an execution
      // read after it is already final when the stored data says it failed.
      const storedData = await api.storedData(storedDataId);
      const execution = await api.pyramidExecution(executionId);
      const state = `${execution.status}/${storedData.status}`;
      if (state !== last)
        this.emit({ type: 'info', message: `Pyramid ${storedDataId}: execution ${execution.status}, stored data ${storedData.status}` });
      last = state;
      if (execution.status === 'SUCCESS' && storedData.status === 'GENERATED') return { state, value: storedData };
      if (FAILED_EXECUTION_STATUSES.has(execution.status) || storedData.status === 'UNSTABLE') {
        // Within the deadline, like every read of the wait.
        const lines = await api.executionLogs(executionId).catch(() => [] as string[]);
        throw new PyramidFailedError(
          executionId,
          errorLinesOf(lines).map((l) => splitLogLine(l).message),
          execution.status,
        );
      }
      return { state };
    });
  }

  /** A wait of the chain: within `processing-timeout`, a forgiven failed read said in a warning. */
  private pollOptions(firstPauseMs: number, onTimeout: () => TimeoutError): PollOptions {
    return {
      firstPauseMs,
      withinMs: this.options.processingTimeoutMs,
      onTimeout,
      signal: this.options.signal,
      onForgiven: (error) => this.emit({ type: 'warning', message: `A read failed (${(error as Error).message}); trying again` }),
    };
  }

  /** Points a configuration of `type` at the pyramid: a new one, or the existing one replaced in full. */
  private async configure(
    type: ServiceType,
    storedData: StoredData,
    current: Configuration | undefined,
    replaced: Set<string>,
  ): Promise<Configuration> {
    const { api, options } = this;
    const levels = storedData.levels.map(Number).filter(Number.isFinite);
    const usedData = [
      {
        stored_data: storedData.id,
        bottom_level: options.bottomLevel ?? String(Math.max(...levels)),
        top_level: options.topLevel ?? String(Math.min(...levels)),
      },
    ];
    const title = options.layerTitle ?? (options.layer as string);
    if (!current) {
      const created = await api.createConfiguration({
        type,
        name: options.layer,
        layer_name: options.layer,
        type_infos: { title, abstract: options.layerAbstract ?? title, used_data: usedData },
      });
      this.emit({ type: 'info', message: `Created the ${type} configuration ${created.id} of layer ${options.layer}` });
      return created;
    }
    for (const used of current.usedData) if (used.stored_data !== storedData.id) replaced.add(used.stored_data);
    if (current.usedData.some((u) => u.stored_data === storedData.id)) {
      this.emit({ type: 'info', message: `The ${type} configuration ${current.id} already uses pyramid ${storedData.id}` });
      return current;
    }
    // A full PUT: what the action does not set (attribution, metadata, keywords) is kept.
    const raw = current.raw;
    const infos = (raw.type_infos ?? {}) as Record<string, unknown>;
    await api.replaceConfiguration(current, {
      type,
      name: raw.name ?? options.layer,
      ...(raw.attribution ? { attribution: raw.attribution } : {}),
      ...(raw.metadata ? { metadata: raw.metadata } : {}),
      type_infos: { ...infos, title, abstract: options.layerAbstract ?? title, used_data: usedData },
    });
    this.emit({ type: 'info', message: `The ${type} configuration ${current.id} now uses pyramid ${storedData.id}` });
    return { ...current, usedData };
  }

  /**
   * The configuration's offering on `endpointId`: created, or re-synchronised after an update or a
   * publication that ended UNSTABLE; then PUBLISHED.
   */
  private async offer(configuration: Configuration, endpointId: string, updated: boolean): Promise<Offering> {
    const { api } = this;
    let offering = (await api.offeringsOf(configuration.id)).find((o) => o.endpointId === endpointId);
    if (!offering) {
      offering = await api.createOffering(configuration.id, endpointId, this.options.public);
      this.emit({ type: 'info', message: `Published ${configuration.type} offering ${offering.id}` });
    } else if ((updated || offering.status === 'UNSTABLE') && offering.status !== 'MODIFYING') {
      await api.syncOffering(offering.id);
      this.emit({ type: 'info', message: `Re-synchronised offering ${offering.id}: the servers take the new pyramid` });
    }
    return this.awaitPublished(offering.id);
  }

  private awaitPublished(offeringId: string): Promise<Offering> {
    let last = '';
    const timeout = () =>
      new TimeoutError(
        `Offering ${offeringId} was not PUBLISHED within the processing-timeout (last status ${last}); re-run to keep waiting`,
      );
    // An offering is "normalement quasiment instantané" (the SDK polls it every second).
    return poll(this.pollOptions(Math.min(this.options.pollIntervalMs, 1000), timeout), async (signal) => {
      const offering = await this.api.within(signal).offering(offeringId);
      last = offering.status;
      if (offering.status === 'UNSTABLE')
        throw new UploadStateError(`Offering ${offeringId} is UNSTABLE: the layer could not be published`);
      return { state: offering.status, value: offering.status === 'PUBLISHED' ? offering : undefined };
    });
  }
}

/**
 * A picture of the layer, served by the layer itself: a WMS GetMap of the pyramid's extent, or
 * the TMS tile that covers it. GitHub shows it in the summary through its image proxy.
 */
export function previewUrl(report: LayerReport, storedData: StoredData, compression?: string): string | undefined {
  const bbox = storedData.bbox;
  if (!bbox) return undefined;
  const [west, south, east, north] = bbox;
  const wms = report.urls.WMS;
  if (wms?.includes('{xmin}')) {
    const [x0, y0] = mercator(west, south);
    const [x1, y1] = mercator(east, north);
    const width = 512;
    const height = Math.max(1, Math.round((width * (y1 - y0)) / Math.max(1e-9, x1 - x0)));
    return wms
      .replace('{xmin}', x0.toFixed(2))
      .replace('{ymin}', y0.toFixed(2))
      .replace('{xmax}', x1.toFixed(2))
      .replace('{ymax}', y1.toFixed(2))
      .replace('{styles}', '')
      .replace('{width}', String(width))
      .replace('{height}', String(Math.min(height, 1024)))
      .replace('{srs}', 'EPSG:3857')
      .replace('{format}', 'image/png');
  }
  const tms = report.urls.TMS;
  if (!tms) return undefined;
  // The deepest level whose one tile still holds the whole extent (Web Mercator tiling).
  let z = 0;
  for (let candidate = 1; candidate <= 18; candidate++) {
    const [a, b] = tile(west, north, candidate);
    const [c, d] = tile(east, south, candidate);
    if (a !== c || b !== d) break;
    z = candidate;
  }
  const [x, y] = tile((west + east) / 2, (south + north) / 2, z);
  const tmsY = 2 ** z - 1 - y; // TMS counts rows from the bottom
  return `${tms.replace(/\/+$/, '')}/${z}/${x}/${tmsY}.${compression === 'png' ? 'png' : 'jpeg'}`;
}

function mercator(lon: number, lat: number): [number, number] {
  const r = 6378137;
  return [(r * lon * Math.PI) / 180, r * Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360))];
}

function tile(lon: number, lat: number, z: number): [number, number] {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const rad = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
  return [x, y];
}
