import type { Config } from '../config/types.js';
import type { Endpoint, ServiceType } from '../entrepot/types.js';
import { builds, type LayerReport, type UpdatePlan } from '../layer/types.js';
import type { RecordRun } from './catalogue.js';
import type { FicheNeighbours } from './neighbours.js';
import type { CataloguePlan } from './plan.js';
import { compareText } from '../shared/format.js';
import { ancestrySince } from '../workspace/changes.js';
import type { GroundSummary } from '../workspace/stage.js';
import { recordService } from './services.js';
import type { RecordService } from './types.js';

/** What the run knows once the layer is served (or planned, in a dry run). */
export interface RecordContext {
  plan: CataloguePlan;
  config: Pick<Config, 'datasheet' | 'dryRun' | 'metadataPublish' | 'public' | 'thumbnail'>;
  workspace: string;
  signal?: AbortSignal;
  layer: LayerReport;
  update: UpdatePlan;
  ground: GroundSummary;
  endpoints: Endpoint[];
  commit?: string;
  /** The fiche's other layers: their services and extents join this layer's. */
  neighbours?: FicheNeighbours;
}

/** The record's run: the plan, and what the layer and the rasters say. */
export function recordRun(context: RecordContext): RecordRun {
  const { plan, config, workspace, signal, layer, update, ground, endpoints, commit, neighbours } = context;
  const services = recordServices(layer, update, endpoints, config.public, config.dryRun);
  const pyramid = layer.storedData?.bbox ?? update.live?.bbox;
  // Alone in its fiche, the layer's extent is its rasters'; with others, whose rasters the run cannot
  // read, every layer's is its pyramid's: the same record whichever layer runs.
  const others = neighbours?.extents ?? [];
  const own = others.length && pyramid ? pyramid : layerExtent(ground, pyramid);
  return {
    plan,
    commit,
    ancestry: (since) => ancestrySince(since, workspace, signal),
    datasheet: config.datasheet ?? '',
    dryRun: config.dryRun,
    publish: config.metadataPublish,
    // By layer name, then WMTS before WMS: the same order whichever layer of the fiche runs.
    services: [...services, ...(neighbours?.services ?? [])].sort(
      (a, b) => compareText(a.layerName, b.layerName) || compareText(b.protocol, a.protocol),
    ),
    extent: unionOf([...(own ? [own] : []), ...others]),
    scaleDenominator: scaleDenominator(ground.pixelMetres),
    thumbnail: { choice: config.thumbnail, workspace, layer: layer.layer, preview: layer.preview, built: builds(update.kind), signal },
  };
}

/**
 * What the record says that the run knows rather than the repository's description: the services
 * the layer serves (each endpoint's URL and the layer's name), its extent and its resolution.
 */

/** OGC's standardised rendering pixel, 0.28 mm: a scale denominator is the ground pixel over it. */
const RENDERING_PIXEL_METRES = 0.00028;
/** Decimal places of a bound in degrees: about 0.1 m, below any raster's pixel. */
const BOUND_DECIMALS = 6;

/** One online resource per service the layer serves (a dry run: would serve); recordRun orders them. */
export function recordServices(
  report: LayerReport,
  update: UpdatePlan,
  endpoints: Endpoint[],
  open: boolean,
  dryRun: boolean,
): RecordService[] {
  const types: ServiceType[] = dryRun ? update.services.map((s) => s.type) : report.services.filter((s) => s.offering).map((s) => s.type);
  const offered = Object.entries(report.urls).map(([type, url]) => ({ type, url }));
  return [...new Set(types)].flatMap((type) => {
    const endpoint = endpoints.find((e) => e.type === type && e.open === open);
    return recordService(type, report.layer, [...(endpoint?.urls ?? []), ...offered], open) ?? [];
  });
}

/**
 * The layer's extent: the union of the rasters' footprints when every raster's header was read;
 * else the pyramid's extent, which the platform computed from all of them (a pointer never read
 * has no footprint here); else the footprints known.
 */
export function layerExtent(
  ground: GroundSummary,
  pyramidBbox: [number, number, number, number] | undefined,
): [number, number, number, number] | undefined {
  const chosen = ground.extent && ground.unplaced === 0 ? ground.extent : (pyramidBbox ?? ground.extent);
  return chosen && rounded(chosen);
}

/** A box's bounds to BOUND_DECIMALS places, as the record writes them. */
function rounded(box: [number, number, number, number]): [number, number, number, number] {
  const round = (value: number) => Number(value.toFixed(BOUND_DECIMALS));
  return [round(box[0]), round(box[1]), round(box[2]), round(box[3])];
}

/** The smallest box holding every one of `boxes`, rounded as a record's bounds are. */
function unionOf(boxes: Array<[number, number, number, number]>): [number, number, number, number] | undefined {
  if (boxes.length === 0) return undefined;
  const [first, ...rest] = boxes;
  const union = rest.reduce<[number, number, number, number]>(
    (u, b) => [Math.min(u[0], b[0]), Math.min(u[1], b[1]), Math.max(u[2], b[2]), Math.max(u[3], b[3])],
    [...first],
  );
  return rounded(union);
}

/** The scale at which one pixel of the data fills one rendering pixel, rounded to two significant digits. */
export function scaleDenominator(pixelMetres: number | undefined): number | undefined {
  if (!pixelMetres || !Number.isFinite(pixelMetres)) return undefined;
  const raw = pixelMetres / RENDERING_PIXEL_METRES;
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(raw)) - 1);
  return Math.max(1, Math.round(raw / magnitude) * magnitude);
}
