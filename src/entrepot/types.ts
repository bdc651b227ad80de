/** Shapes of the API Entrepôt, as far as the action reads them (entrepot-api.md §2–3). */

export type UploadStatus = 'CREATED' | 'OPEN' | 'CLOSED' | 'CHECKING' | 'GENERATING' | 'MODIFYING' | 'UNSTABLE' | 'DELETED';

export interface Upload {
  id: string;
  name: string;
  status: UploadStatus | string;
  srs?: string;
  type?: string;
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
