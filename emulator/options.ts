import type { ListMode } from './lists.js';

/** What an emulator can be made to be (new Emulator({...})), and what it records of each request. */

export const TOKEN_PATH = '/realms/geoplateforme/protocol/openid-connect/token';

/** The catalogue routes' variants (emulator/catalogue.ts). */
export interface CatalogueOptions {
  /** `metadata_file_identifier_prefix`: an identifier must start with it and a dot. */
  metadataPrefix?: string;
  /** Identifiers already used on another datastore: the platform-wide uniqueness. */
  takenIdentifiers?: string[];
  /** The METADATA endpoint's quota (published records). */
  metadataQuota?: number;
  /** Lists of metadata and annexes ignore their filters (`tags[…]`, `labels`, `path`): a variant to survive. */
  ignoreFilters?: boolean;
  /** The annexes' storage quota in bytes (`storages.annexes.quota`). */
  annexQuota?: number;
  /** The datastore's technical name, in the annexes' public URLs. */
  technicalName?: string;
}

/** The layer routes' timings and variants. */
export interface LayerOptions {
  /** From launch to the end of a pyramid's build (half WAITING, half PROGRESS). */
  pyramidDurationMs?: number;
  /** The execution is SUCCESS this long before its stored data is GENERATED. */
  storedDataLagMs?: number;
  /** Every pyramid build fails (execution FAILURE, stored data UNSTABLE, ERROR lines in its logs). */
  pyramidFailure?: boolean;
  /** `configuration_layer_name_prefix`: a layer name must start with it (§12.12). */
  layerNamePrefix?: string;
  /** The pyramid processing's name: the sources give two (§12.11). */
  processingName?: string;
  /** The next N pyramid executions end ABORTED (a transient fault on the platform); counted down. */
  abortNext?: number;
  /** A deleted stored data reads DELETED this long before it is gone. */
  deleteLagMs?: number;
  /** After a sync's PUT, the offering turns MODIFYING, with a new `update` date, this much later. */
  modifyingLagMs?: number;
  /** An offering is PUBLISHED this long after its creation or a synchronisation. */
  publishDelayMs?: number;
  /** Offerings end UNSTABLE instead of PUBLISHED (the publication failed on the platform). */
  offeringFailure?: boolean;
  /** List stored data as bare `{_id}` items, and ignore the `tags[…]` and `name` filters (a variant to survive). */
  bareLists?: boolean;
}

export interface EmulatorOptions {
  port?: number;
  host?: string;
  /** Where uploaded files are written; a temporary folder by default (removed on stop). */
  dataDir?: string;
  datastore?: string;
  /** Bearer tokens accepted forever (the `token` input). */
  staticTokens?: string[];
  /** Service accounts for the client-credentials grant. */
  clients?: Array<{ id: string; secret: string }>;
  /** Accounts for the password grant (client gpf-warehouse); `totpSecret` turns 2FA on. */
  users?: Array<{ username: string; password: string; totpSecret?: string }>;
  /** Lifetime of issued tokens (`expires_in`). */
  tokenTtlSeconds?: number;
  /** Rights of the account in the datastore's community. */
  rights?: string[];
  /** Upload quota in bytes. */
  quota?: number;
  /** `uploads` as in the 2026 schema, or `upload` as in the 2024 tutorial (docs/api.md, "Quota"). */
  storageKey?: 'uploads' | 'upload';
  /** Time from close until the executions are registered: lists stay empty meanwhile (docs/api.md, "Checks"). */
  checkRegistrationDelayMs?: number;
  /** Time from registration until each check finishes (half WAITING, half PROGRESS). */
  checkDurationMs?: number;
  /** List DELETED uploads too (the docs are unsure whether the API does; docs/api.md, "Listing uploads"). */
  listDeleted?: boolean;
  /** Answer every list in full, ignoring page and limit, without Content-Range (a variant to survive). */
  ignorePaging?: boolean;
  /** Honour `limit` but not `page`: every page is the first, without Content-Range (a variant to survive). */
  ignorePage?: boolean;
  /**
   * The fields of list items (emulator/lists.ts): `base` as the API (its list DTO's base fields, or
   * those `fields=` names plus `_id`), `ignore-fields` (base fields whatever is asked: a variant to
   * survive), or `whole` objects (debugging only: it hides what the real lists lack).
   */
  listFields?: ListMode;
  /** Refuse a data POST to a path that already holds a file (409), instead of overwriting it. */
  refuseOverwrite?: boolean;
  /**
   * What arrives of a body cut by a `resetMidBody` fault is kept as a truncated file unless this is
   * false; when it is true, so is what arrives of a body the client abandons (a harsh server).
   */
  keepPartialFiles?: boolean;
  /** With `keepPartialFiles: true`, what arrived of an abandoned body is stored only this much later. */
  strayDelayMs?: number;
  /** A file stored under a `storeThen` fault (its answer lost) shows in the tree only this much later. */
  treeLagMs?: number;
  /** Seed for probabilistic faults. */
  random?: () => number;
  /** Serve HTTPS with this key and certificate (PEM), e.g. to test NODE_EXTRA_CA_CERTS. */
  tls?: { key: string; cert: string };
  /** The pyramid, configuration and offering routes: timings and a forced failure. */
  layers?: LayerOptions;
  /** The metadata and annex routes: the identifier prefix, identifiers taken elsewhere, the METADATA quota. */
  catalogue?: CatalogueOptions;
  /** Added before every answer, as a runner far from the API sees (the benchmark's latency). */
  latencyMs?: number;
}

export interface RequestRecord {
  method: string;
  route: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** The bearer token sent was known but expired. */
  expiredToken: boolean;
  token?: string;
  /** The fault injected into this request, by kind (`status`, `reset`, `storeThen`...). */
  fault?: string;
  /** The client's port: tells which connection (direct, or a proxy's) carried the request. */
  remotePort?: number;
  /** With an endless body: the bytes written before the client went away. */
  bytesAnswered?: number;
  time: number;
}
