/** What the run was asked to do: every input, read once and validated (inputs.ts reads them). */

export type AuthConfig =
  | { kind: 'token'; token: string }
  | { kind: 'client-credentials'; clientId: string; clientSecret: string }
  | { kind: 'password'; clientId: string; clientSecret: string; username: string; password: string; totpSecret?: string };

export type IfExists = 'resume' | 'replace' | 'fail' | 'create';
export type IfNoFilesFound = 'error' | 'warn' | 'ignore';

export interface Shard {
  index: number; // 1-based
  count: number;
}

export interface Config {
  datastore: string;
  patterns: string[];
  name: string;
  srs: string;
  epsg: number;
  description: string;
  /** Undefined only in a dry run without credentials (a fork's pull request): the API is not consulted. */
  auth?: AuthConfig;
  apiUrl: string;
  tokenUrl: string;
  tags: Record<string, string>;
  /** The fiche de données the layer belongs to (`datasheet_name` on every entity), when there is one. */
  datasheet?: string;
  /** The metadata record's source in the workspace (YAML or ISO 19139 XML), relative to it. */
  metadata?: string;
  /** Publish the record on the METADATA endpoint. */
  metadataPublish: boolean;
  /** The fiche's thumbnail: the layer's preview, a file in the workspace, or none. */
  thumbnail: { kind: 'auto' } | { kind: 'none' } | { kind: 'file'; path: string };
  ifExists: IfExists;
  uploadId?: string;
  close: boolean;
  waitForChecks: boolean;
  checksTimeoutMs: number;
  pollIntervalMs: number;
  concurrency: number;
  retries: number;
  checksums: boolean;
  ifNoFilesFound: IfNoFilesFound;
  shard?: Shard;
  dryRun: boolean;
  prune: boolean;
  /** Every secret input in every shape it may be shown in (see secretShapes). */
  secrets: string[];
  /** The layer to publish (a configuration's layer_name); undefined ends the step with the delivery. */
  layer?: string;
  services: Array<'wmts' | 'wms'>;
  tms: string;
  compression: string;
  interpolation: string;
  bottomLevel?: string;
  topLevel?: string;
  layerTitle?: string;
  layerAbstract?: string;
  public: boolean;
  processingTimeoutMs: number;
  keepUpload: boolean;
  /** With `layer`: how a live layer is brought up to date (docs/api.md, "Layers": updates). */
  update: 'auto' | 'incremental' | 'full';
  /** Without `layer`: how many CLOSED uploads of this name made by this repository are kept; `all` deletes none. */
  retainUploads: number | 'all';
  /** Masks on the pyramid: `auto` when it is meant to be updated (docs/api.md, "Layers": masks). */
  mask: 'auto' | 'true' | 'false';
  /** Incremental updates in a row before a full rebuild; 0: never. */
  rebuildEvery: number;
  /** `auto`: a dry run on a pull request writes (and then updates) one comment with its plan. */
  comment: 'auto' | 'never';
  githubToken?: string;
}

export type InputReader = (name: string) => string;
