import type { CheckExecution, UploadStatus } from '../entrepot/types.js';
import type { LocalFile } from '../workspace/files.js';
import type { CatalogueEvent, CatalogueReport } from '../catalogue/types.js';
import type { LayerEvent, LayerReport } from '../layer/types.js';
import type { CheckReport, FileOutcome, PublishEvent, PublishResult, RemoteFile } from '../delivery/types.js';

/**
 * One record of the run, folded from the events of every stage (files, publish, the layer chain)
 * and the run's end. Nothing here writes anywhere: the log, the outputs and annotations, the job
 * summary and the pull-request comment are renderers that read this record.
 */

export interface RunContext {
  name: string;
  srs: string;
  datastore: string;
  /** A dry run prints its plan in the log, file by file. */
  dryRun?: boolean;
  /** Files are named from here in the pull-request comment. */
  workspace?: string;
}

/** Events of the run that are not publish's or the layer chain's. */
export type RunNote =
  | { type: 'files'; files: LocalFile[] }
  /** Where a raster lies: its EPSG and WGS84 outline (when its CRS is known), for the comment's map. */
  | { type: 'place'; file: LocalFile; epsg?: number; ring?: Array<[number, number]> }
  /** A dry run without credentials: nothing was read from the API. */
  | { type: 'offline' }
  | { type: 'retry'; what: string; attempt: number; reason: string; delayMs: number }
  | { type: 'notice'; message: string }
  | { type: 'end'; result?: PublishResult; error?: unknown };

export type RunEvent = PublishEvent | LayerEvent | CatalogueEvent | RunNote;

export interface FileRow {
  file: LocalFile;
  outcome: FileOutcome | 'pending';
  attempts: number;
  error?: string;
}

export interface RunRecord {
  context: RunContext;
  uploadId?: string;
  status?: UploadStatus;
  /** The plan makes a new upload (a dry run's "to be created"). */
  willCreate: boolean;
  /** Uploads a dry run with `if-exists: replace` would delete, as `id (STATUS)`. */
  replacing: string[];
  /** Every matched file by remote path, with what became of it. */
  rows: Map<string, FileRow>;
  uploaded: number;
  /** Files in a resumed upload that no pattern matches, and those deleted. */
  extra: { files: RemoteFile[]; prune: boolean; deleted: Set<string> };
  /** The checks as last read; with their error lines once the run has described them. */
  checks: CheckReport[];
  layer?: LayerReport;
  /** The fiche's metadata record: what the run did to it, or would. */
  catalogue?: CatalogueReport;
  storedDataId?: string;
  warnings: string[];
  places: Map<string, { epsg?: number; ring?: Array<[number, number]> }>;
  apiConsulted: boolean;
  /** Attempts that failed on transient errors and were retried. */
  retries: number;
  /** Earlier uploads of the name (upload-only runs): how many remain, and their size. */
  retention?: { remaining: number; bytes: number; deleted: string[]; keep: number | 'all' };
  /** How the run ended, once it has. */
  end?: { result?: PublishResult; error?: unknown };
}

export function newRecord(context: RunContext): RunRecord {
  return {
    context,
    willCreate: false,
    replacing: [],
    rows: new Map(),
    uploaded: 0,
    extra: { files: [], prune: true, deleted: new Set() },
    checks: [],
    warnings: [],
    places: new Map(),
    apiConsulted: true,
    retries: 0,
  };
}

/** Folds one event into the record. */
export function recordEvent(record: RunRecord, event: RunEvent): void {
  switch (event.type) {
    case 'files':
      for (const file of event.files) record.rows.set(file.remotePath, { file, outcome: 'pending', attempts: 0 });
      break;
    case 'place':
      record.places.set(event.file.remotePath, { epsg: event.epsg, ring: event.ring });
      break;
    case 'offline':
      record.apiConsulted = false;
      break;
    case 'retry':
      record.retries++;
      break;
    case 'upload':
      record.uploadId = event.upload.id;
      record.willCreate = false;
      record.status = event.upload.status;
      break;
    case 'plan':
      recordPlan(record, event);
      break;
    case 'retention':
      record.retention = { remaining: event.remaining, bytes: event.remainingBytes, deleted: event.deleted, keep: event.keep };
      break;
    case 'pruned':
      record.extra.deleted.add(event.file.remotePath);
      break;
    case 'file':
      record.rows.set(event.file.remotePath, { file: event.file, outcome: event.outcome, attempts: event.attempts, error: event.error });
      if (event.outcome === 'sent') record.uploaded++;
      break;
    case 'status':
      record.status = event.status;
      break;
    case 'checks':
      record.checks = event.checks.map((c) => ({ ...c, errorLines: [] }));
      break;
    case 'stored-data':
      record.storedDataId = event.storedData.id;
      break;
    case 'layer':
      record.layer = event.report;
      break;
    case 'catalogue':
      record.catalogue = event.report;
      break;
    case 'warning':
      record.warnings.push(event.message);
      break;
    case 'end':
      recordEnd(record, event.result, event.error);
      break;
  }
}

function recordPlan(record: RunRecord, event: Extract<RunEvent, { type: 'plan' }>): void {
  // What the upload holds already is said as such from the plan on, as the log says it.
  for (const file of event.present) {
    const row = record.rows.get(file.remotePath);
    if (row?.outcome === 'pending') record.rows.set(file.remotePath, { ...row, outcome: 'present' });
  }
  record.willCreate = event.create !== undefined;
  record.replacing = (event.create?.replacing ?? []).map((u) => `${u.id} (${u.rawStatus})`);
  record.extra = { files: event.extra, prune: event.prune, deleted: new Set() };
}

function recordEnd(record: RunRecord, result: PublishResult | undefined, error: unknown): void {
  record.end = { result, error };
  if (result?.status) record.status = result.status;
  if (result?.checks.length) record.checks = result.checks;
}

/** Checks as a list of `{id, name, status}`, as the `checks` output gives them. */
export function checkList(checks: CheckExecution[]): Array<Pick<CheckExecution, 'id' | 'name' | 'status'>> {
  return checks.map((c) => ({ id: c.id, name: c.name, status: c.status }));
}
