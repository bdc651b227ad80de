import type { Config } from '../config/types.js';
import type { Offering, ServiceType, StoredData } from '../entrepot/types.js';
import type { LocalFile } from '../workspace/files.js';
import type { ConfigurationCatalogue, LiveService } from './live.js';

export type { ConfigurationCatalogue } from './live.js';

/** What the layer stage takes, decides, emits and returns (layer.ts drives it). */

/** The input `services`' names, as the API types configurations. */
export const SERVICE_TYPE_OF: Readonly<Record<'wmts' | 'wms', ServiceType>> = { wmts: 'WMTS-TMS', wms: 'WMS-RASTER' };

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
  | 'mask'
  | 'datastore'
  | 'datasheet'
> & {
  /** The record's links and keywords each configuration carries, when the layer has a record. */
  catalogue?: ConfigurationCatalogue;
  /** The input's tags and the provenance tags, set on the pyramid too. */
  tags: Record<string, string>;
  /**
   * The fiche's tags (`datasheet_name`, `producer`, `production_year`): set on the live pyramid too
   * when a run builds none, where the others (the commit's provenance) must stay as the build set them.
   */
  ficheTags?: Record<string, string>;
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
  action: 'created' | 'updated' | 'unchanged' | 'would create' | 'would update' | 'would leave unchanged';
  /** How the layer was (or would be) brought up to date, and why; `changed`: the files sent for it. */
  update?: { kind: UpdateKind; why: string; changed: number };
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
  /** The fiche de données's page in cartes.gouv.fr, when the layer has one (`datasheet`). */
  fiche?: string;
  /** In a dry run, the live layer's extent [west, south, east, north], when it exists. */
  currentExtent?: [number, number, number, number];
}

export type LayerEvent =
  | { type: 'phase'; phase: 'pyramid' | 'configure' | 'publish' | 'clean'; title: string }
  | { type: 'stored-data'; storedData: StoredData }
  | { type: 'layer'; report: LayerReport }
  | { type: 'info' | 'warning'; message: string };

/** The processing to run and the parameters to send: read, and refused when wrong, before anything is sent. */
export interface LayerPlan {
  processingId: string;
  /** The parameters as the inputs say them: compared with the live pyramid's, said in the plan. */
  parameters: Record<string, string>;
  /** The same, each typed as the processing declares it: the execution's body. */
  body: Record<string, unknown>;
  /** How the live layer is brought up to date, once decided. */
  update?: UpdatePlan;
}

/**
 * How the run brings the live layer to what it asks: a pyramid built (`created`, `full`,
 * `incremental`), or none (`unchanged`; `reconfigured`: configurations or offerings changed to match
 * what is asked, a service added, a title, services that disagreed; `stale`: the run's commit is
 * older than the live one, nothing changes).
 */
export type UpdateKind = 'created' | 'full' | 'incremental' | 'unchanged' | 'reconfigured' | 'stale';

/** What one service needs: its configuration, then its offering. */
export interface ServiceStep {
  type: ServiceType;
  /** In `services`; a live service that is not is kept in step with the layer all the same. */
  requested: boolean;
  configuration: 'create' | 'repoint' | 'settings' | 'keep';
  offering: 'create' | 'sync' | 'republish' | 'keep';
  /** Tags the configuration lacks (`datasheet_name`), set after it is configured; none: nothing to tag. */
  tags: Record<string, string>;
  /** The service as it is live, when it is. */
  live?: LiveService;
}

export interface UpdatePlan {
  kind: UpdateKind;
  /** Why, in words: for the log, the summary and the pull-request comment. */
  why: string;
  /** The files to send: all for a new or full build, the changed ones (with their world files) for an incremental one, none otherwise. */
  files: LocalFile[];
  /** The live pyramid: referenced by an incremental build; what the layer keeps serving when nothing is built. */
  live?: StoredData;
  /** Incremental updates in a row the new pyramid ends, for `rebuild-every`. */
  chain: number;
  /** Each service's steps once the pyramid is there. */
  services: ServiceStep[];
  /** Said as notices: what the user should know of the decision (history rewritten, a service kept that is not asked). */
  notices: string[];
}

export type UpdateOptions = Pick<Config, 'update' | 'rebuildEvery'>;

/** Whether `kind` builds a pyramid. */
export function builds(kind: UpdateKind): boolean {
  return kind === 'created' || kind === 'full' || kind === 'incremental';
}

export type LayerEmit = (event: LayerEvent) => void;
