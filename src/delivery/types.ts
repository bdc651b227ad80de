import type { Config } from '../config/types.js';
import type { CheckExecution, DatastoreUsage, Upload, UploadStatus } from '../entrepot/types.js';
import type { LocalFile } from '../workspace/files.js';

/** What the delivery stage takes, emits and returns (publish.ts drives it). */

/** The inputs the lifecycle uses, and what main derives for it. */
export type PublishOptions = Pick<
  Config,
  | 'name'
  | 'description'
  | 'srs'
  | 'ifExists'
  | 'uploadId'
  | 'close'
  | 'waitForChecks'
  | 'checksTimeoutMs'
  | 'pollIntervalMs'
  | 'concurrency'
  | 'dryRun'
  | 'prune'
> & {
  /** The input's tags and the provenance tags. */
  tags: Record<string, string>;
  /** Remote paths of every matched file, all shards together: a resumed upload keeps these. */
  keep?: ReadonlySet<string>;
  /** Name of the checksum file at the upload's root; undefined sends none. */
  checksumFile?: string;
  /** The datastore's upload space, read before the run; undefined when it could not be read. */
  usage?: DatastoreUsage;
  /** Local paths are named relative to this folder (the workspace) in errors. */
  workspace?: string;
  /**
   * Gives the files whose content is not on the disk yet (Git LFS pointers) their content, checked,
   * and the others as they are: called only for files about to be read (sent, or hashed).
   */
  withContent?: (files: LocalFile[]) => Promise<LocalFile[]>;
  signal?: AbortSignal;
};

/** `unchanged`: not sent, the live pyramid already holds it (an incremental update). */
export type FileOutcome = 'sent' | 'present' | 'failed' | 'unchanged';

/** A file in the upload, known by its path there. */
export interface RemoteFile {
  remotePath: string;
  size: number;
}

export type PublishEvent =
  | { type: 'phase'; phase: 'find' | 'prune' | 'send' | 'verify' | 'checksums' | 'close' | 'checks'; title: string }
  | { type: 'upload'; upload: Upload; how: 'created' | 'resumed' | 'attached' | 'awaited' }
  | { type: 'deleted'; upload: Upload }
  /** What the run will do: files to send, files already there, and files in the upload that are not matched. */
  | {
      type: 'plan';
      toSend: LocalFile[];
      present: LocalFile[];
      extra: RemoteFile[];
      prune: boolean;
      /** A new upload is to be made, replacing these (with `if-exists: replace`). */
      create?: { replacing: Upload[] };
    }
  | { type: 'pruned'; file: RemoteFile }
  /** Earlier CLOSED uploads of the name this repository made: how many remain, what was deleted (`retain-uploads`). */
  | { type: 'retention'; remaining: number; remainingBytes: number; deleted: string[]; keep: number | 'all' }
  | { type: 'file-progress'; file: LocalFile; bytes: number }
  | { type: 'file'; file: LocalFile; outcome: FileOutcome; attempts: number; ms: number; error?: string }
  | { type: 'status'; status: UploadStatus }
  | { type: 'checks'; checks: CheckExecution[]; polls: number }
  | { type: 'info' | 'warning'; message: string };

export interface PublishResult {
  upload?: Upload;
  /** The upload's status when the run ended; undefined in a dry run that would create one. */
  status?: UploadStatus;
  uploaded: number;
  checks: CheckReport[];
  dryRun: boolean;
}

/** What a check found, as the report shows it. */
export interface CheckReport extends CheckExecution {
  start?: string;
  finish?: string;
  /** The ERROR lines of a failed check's logs (every page). */
  errorLines: string[];
}

export type PublishEmit = (event: PublishEvent) => void;
