/** Shapes of the API Entrepôt, as far as the action reads them (docs/api.md). */

/** Every upload status the API documents. */
export const UPLOAD_STATUSES = ['CREATED', 'OPEN', 'CLOSED', 'CHECKING', 'GENERATING', 'MODIFYING', 'UNSTABLE', 'DELETED'] as const;

/** A documented status, or UNKNOWN for one this action does not know (the raw value is kept). */
export type UploadStatus = (typeof UPLOAD_STATUSES)[number] | 'UNKNOWN';

/** The statuses the checks end in. */
export const FINAL_UPLOAD_STATUSES: ReadonlySet<UploadStatus> = new Set(['CLOSED', 'UNSTABLE']);

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

export type CheckStatus = 'WAITING' | 'PROGRESS' | 'SUCCESS' | 'FAILURE';

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
