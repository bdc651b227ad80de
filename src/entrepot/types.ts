/** Shapes of the API Entrepôt, as far as the action reads them (docs/api.md). */

import type { CheckStatus, ConfigurationStatus, ExecutionStatus, OfferingStatus, StoredDataStatus, UploadStatus } from './status.js';

export type { CheckStatus, ExecutionStatus, StoredDataStatus, UploadStatus } from './status.js';

export interface Upload {
  id: string;
  name: string;
  status: UploadStatus;
  /** The status as the server wrote it (differs from `status` only when that is UNKNOWN). */
  rawStatus: string;
  srs?: string;
  type?: string;
  /** Bytes held, when the server says. */
  size?: number;
  tags: Record<string, string>;
  /** Most recent activity, for choosing among several candidates. */
  lastEventDate?: string;
}

export interface CheckExecution {
  id: string;
  name: string;
  status: CheckStatus;
}

export interface CheckExecutionDetail extends CheckExecution {
  start?: string;
  finish?: string;
}

export interface UploadChecks {
  asked: CheckExecution[];
  inProgress: CheckExecution[];
  passed: CheckExecution[];
  failed: CheckExecution[];
}

/** Flattened tree: remote path (`data/a/b.tif`, `checksums.md5`) → size in bytes. */
export type RemoteTree = Map<string, number>;

export interface DatastoreUsage {
  use: number;
  quota: number;
}

export interface Membership {
  community: string;
  datastore?: string;
  rights: string[];
}

// ---------------------------------------------------------------- layers (docs/api.md, "Layers")

/** A parameter of a processing, as it describes itself; `allowed` when it lists its values. */
export interface ProcessingParameter {
  name: string;
  mandatory: boolean;
  defaultValue?: unknown;
  allowed?: string[];
  /** The value's type, when the processing declares it (`mask` is a string in one copy, a boolean in another). */
  type?: string;
}

export interface PyramidExecution {
  id: string;
  status: ExecutionStatus;
  storedDataId?: string;
  uploadIds: string[];
  /** The pyramids it builds on (`inputs.stored_data`): a chained update names the live one. */
  inputStoredDataIds: string[];
  /** The parameters it ran with, as the server echoes them (with defaults), when it does. */
  parameters?: Readonly<Record<string, unknown>>;
}

export interface StoredData {
  id: string;
  name: string;
  status: StoredDataStatus;
  tags: Record<string, string>;
  size?: number;
  srs?: string;
  tms?: string;
  compression?: string;
  /** Level ids as strings, in no order (as the API gives them). */
  levels: string[];
  /** Whether the answer had `type_infos` at all (a list item has none): `levels: []` then means unknown. */
  hasTypeInfos: boolean;
  /** [west, south, east, north] in degrees, when the stored data says. */
  bbox?: [number, number, number, number];
}

export const SERVICE_TYPES = ['WMTS-TMS', 'WMS-RASTER'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

export interface UsedData {
  stored_data: string;
  bottom_level: string;
  top_level: string;
}

export interface Configuration {
  id: string;
  /** Undefined for a type the action does not publish. */
  type?: ServiceType;
  layerName: string;
  name: string;
  status: ConfigurationStatus;
  /** The whole body as read, for a full PUT that keeps what the action does not set. */
  raw: Readonly<Record<string, unknown>>;
  usedData: UsedData[];
  /** Changes on every PUT (docs/api.md, "Layers": updates). */
  update?: string;
  tags: Record<string, string>;
}

/**
 * A configuration as the action replaces it (ConfigurationFullUpdateDto: no `layer_name`, which the
 * portal omits on edit; docs/api.md "Layers").
 */
export interface ConfigurationBody {
  type: ServiceType;
  name: string;
  attribution?: unknown;
  metadata?: unknown;
  type_infos: Record<string, unknown> & { title: string; abstract: string; used_data: UsedData[] };
}

/** A configuration as the action creates it. */
export type NewConfigurationBody = ConfigurationBody & { layer_name: string };

/** A configuration's `metadata[]` entry (ConfigurationMetadata: docs/catalogue.md, "Configurations"). */
export interface MetadataLink {
  format: string;
  url: string;
  type: string;
}

export interface Offering {
  id: string;
  configurationId?: string;
  endpointId?: string;
  type?: string;
  status: OfferingStatus;
  open?: boolean;
  urls: Array<{ type: string; url: string }>;
  /** Changes on every PUT of the offering: a newer one shows that a sync took effect (docs/api.md, "Layers"). */
  update?: string;
}

export interface Endpoint {
  id: string;
  type: string;
  open: boolean;
  /** Its URLs by type (WMTS, TMS, WMS, METADATA): a record's online resources name them. */
  urls: Array<{ type: string; url: string }>;
  use?: number;
  quota?: number;
}
