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
}

export interface PyramidExecution {
  id: string;
  status: ExecutionStatus;
  storedDataId?: string;
  uploadIds: string[];
}

export interface StoredData {
  id: string;
  name: string;
  status: StoredDataStatus;
  tags: Record<string, string>;
  size?: number;
  srs?: string;
  tms?: string;
  /** Level ids as strings, in no order (as the API gives them). */
  levels: string[];
  /** [west, south, east, north] in degrees, when the stored data says. */
  bbox?: [number, number, number, number];
}

export type ServiceType = 'WMTS-TMS' | 'WMS-RASTER';

export interface Configuration {
  id: string;
  type: ServiceType;
  layerName: string;
  name: string;
  status: ConfigurationStatus;
  /** The whole body as read, for a full PUT that keeps what the action does not set. */
  raw: Record<string, unknown>;
  usedData: Array<{ stored_data: string; bottom_level: string; top_level: string }>;
}

export interface Offering {
  id: string;
  configurationId?: string;
  endpointId?: string;
  type?: string;
  status: OfferingStatus;
  open?: boolean;
  urls: Array<{ type: string; url: string }>;
}

export interface Endpoint {
  id: string;
  type: string;
  open: boolean;
  use?: number;
  quota?: number;
}
