import { checksumFileName } from './delivery/checksums.js';
import type { PublishOptions } from './delivery/types.js';
import { CatalogueClient, type CatalogueApi } from './entrepot/catalogue.js';
import { DatastoreClient, type DatastoreApi } from './entrepot/datastore.js';
import { LayersClient, type LayerApi } from './entrepot/layers.js';
import { Transport } from './entrepot/transport.js';
import type { DatastoreUsage } from './entrepot/types.js';
import { UploadsClient, type UploadsApi } from './entrepot/uploads.js';
import type { AuthConfig, Config } from './config/types.js';
import { createTokenSource } from './http/auth.js';
import { Http } from './http/request.js';
import { DEFAULT_RETRY, Retrier, type RetryNotice, type RetryPolicy } from './http/retry.js';
import type { HttpOptions } from './http/types.js';
import type { LayerOptions, UpdateOptions } from './layer/types.js';
import { inlineMd5, noMd5 } from './shared/hash.js';
import type { FileSet, LocalFile } from './workspace/files.js';

/**
 * How `main` builds what the run needs from the inputs: the API clients, and each stage's options
 * with only the fields that stage reads (no secret reaches a stage that does not authenticate).
 */

export interface Apis {
  catalogue: CatalogueApi;
  uploads: UploadsApi;
  layers: LayerApi;
  datastore: DatastoreApi;
}

/** What the clients are made of: the API, the credentials, and the run's retry policy. */
export type ConnectSettings = Pick<Config, 'apiUrl' | 'tokenUrl' | 'datastore' | 'retries' | 'checksums'> & {
  auth: AuthConfig;
  /** The timers and bounds of one request (tests shorten them). */
  http?: Omit<HttpOptions, 'signal' | 'onRequest'>;
  /** The retry policy; `retries` sets its attempts. */
  retry?: RetryPolicy;
  /** How long the tree is watched for a file whose answer was lost (tests shorten it). */
  treeSettleMs?: number;
};

export interface ConnectHooks {
  signal?: AbortSignal;
  /** Every request, for the debug log. */
  onRequest?: HttpOptions['onRequest'];
  onRetry?: (notice: RetryNotice) => void;
  /** Every token obtained, to be masked. */
  onToken?: (token: string) => void;
}

/** One HTTP client, retry policy and token source, shared by the upload, layer and datastore routes. */
export function connect(settings: ConnectSettings, hooks: ConnectHooks = {}): Apis {
  const http = new Http({ ...settings.http, signal: hooks.signal, onRequest: hooks.onRequest });
  const retry = new Retrier({ ...(settings.retry ?? DEFAULT_RETRY), attempts: settings.retries }, hooks.signal, hooks.onRetry);
  const tokens = createTokenSource(settings.auth, settings.tokenUrl, http, retry, hooks.onToken);
  const transport = new Transport(http, retry, settings.apiUrl, settings.datastore, tokens);
  return {
    // Without checksums nothing is hashed: MD5 is most of the CPU a big upload costs.
    uploads: new UploadsClient(transport, { md5: settings.checksums ? inlineMd5 : noMd5, treeSettleMs: settings.treeSettleMs }),
    layers: new LayersClient(transport),
    datastore: new DatastoreClient(transport),
    catalogue: new CatalogueClient(transport),
  };
}

/** What publish needs besides the inputs, as main knows it. */
export interface PublishContext {
  /** The datastore's upload space, read before the run. */
  usage?: DatastoreUsage;
  workspace: string;
  signal?: AbortSignal;
  /** The input's tags with the provenance tags. */
  tags: Record<string, string>;
  /** The files an incremental update sends: a resumed upload keeps only these. */
  only?: LocalFile[];
  /** Gives Git LFS pointers their content when they are about to be read. */
  withContent?: PublishOptions['withContent'];
}

export function publishOptions(config: Config, fileSet: FileSet, { only, ...context }: PublishContext): PublishOptions {
  const { name, description, srs, ifExists, uploadId, close, waitForChecks, checksTimeoutMs, pollIntervalMs, concurrency, dryRun, prune } =
    config;
  return {
    ...{ name, description, srs, ifExists, uploadId, close, waitForChecks, checksTimeoutMs, pollIntervalMs, concurrency, dryRun, prune },
    ...context,
    checksumFile: config.checksums ? checksumFileName(config.shard) : undefined,
    // Every shard's files: a resumed upload keeps them all.
    keep: new Set((only ?? fileSet.all).map((f) => f.remotePath)),
  };
}

export function layerOptions(
  config: Config,
  uploads: UploadsApi,
  tags: Record<string, string>,
  signal?: AbortSignal,
): LayerOptions & UpdateOptions {
  const { layer, services, tms, compression, interpolation, bottomLevel, topLevel, layerTitle, layerAbstract } = config;
  const { processingTimeoutMs, keepUpload, pollIntervalMs, dryRun, update, rebuildEvery, mask, datastore, datasheet } = config;
  return {
    ...{ layer, services, tms, compression, interpolation, bottomLevel, topLevel, layerTitle, layerAbstract, public: config.public },
    ...{ processingTimeoutMs, keepUpload, pollIntervalMs, dryRun, update, rebuildEvery, mask, datastore, datasheet },
    tags,
    deleteUpload: (uploadId) => uploads.deleteUpload(uploadId),
    signal,
  };
}
