import type { Config } from '../config/types.js';
import type { Offering, ServiceType, StoredData } from '../entrepot/types.js';
import type { LocalFile } from '../workspace/files.js';

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
  parameters: Record<string, string>;
  /** How the live layer is brought up to date, once decided. */
  update?: UpdatePlan;
}

export type UpdateKind = 'created' | 'full' | 'incremental' | 'unchanged';

export interface UpdatePlan {
  kind: UpdateKind;
  /** Why, in words: for the log, the summary and the pull-request comment. */
  why: string;
  /** The files to send: all for a new or full build, the added and modified ones for an incremental one. */
  files: LocalFile[];
  /** The live pyramid (referenced by an incremental update; its chain deleted after a full one). */
  live?: StoredData;
  /** Incremental updates in a row the new pyramid ends, for `rebuild-every`. */
  chain: number;
}

export type UpdateOptions = Pick<Config, 'update' | 'rebuildEvery'>;

export type LayerEmit = (event: LayerEvent) => void;
