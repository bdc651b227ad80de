import * as core from '@actions/core';
import { createTokenSource } from './http/auth.js';
import { checksumFileName } from './delivery/checksums.js';
import { DatastoreClient, type DatastoreApi } from './entrepot/datastore.js';
import { LayersClient, type LayerApi } from './entrepot/layers.js';
import { Transport } from './entrepot/transport.js';
import type { DatastoreUsage } from './entrepot/types.js';
import { UploadsClient, type UploadsApi } from './entrepot/uploads.js';
import type { FileSet, LocalFile } from './workspace/files.js';
import { inlineMd5, noMd5 } from './shared/hash.js';
import { Http } from './http/request.js';
import type { AuthConfig, Config } from './config/types.js';
import type { LayerOptions } from './layer/types.js';
import { provenanceTags } from './shared/provenance.js';
import type { PublishOptions } from './delivery/types.js';
import type { Reporter } from './report/reporter.js';
import { DEFAULT_RETRY, Retrier } from './http/retry.js';

/** How `main` builds what the run needs from the inputs: the API clients and each stage's options. */

export interface Apis {
  uploads: UploadsApi;
  layers: LayerApi;
  datastore: DatastoreApi;
}

/** One HTTP client, retry policy and token source, shared by the upload, layer and datastore routes. */
export function connect(config: Config, auth: AuthConfig, reporter: Reporter, signal?: AbortSignal): Apis {
  const http = new Http({
    signal,
    // core.debug writes even when the runner hides it: skip the line unless debug is on.
    onRequest: core.isDebug() ? (log) => core.debug(`${log.method} ${log.path} → ${log.status ?? log.error} in ${log.ms} ms`) : undefined,
  });
  const retry = new Retrier({ ...DEFAULT_RETRY, attempts: config.retries }, signal, (notice) =>
    reporter.retried(notice.what, notice.attempt, notice.reason, notice.delayMs),
  );
  const tokens = createTokenSource(auth, config.tokenUrl, http, retry, (token) => reporter.secret(token));
  const transport = new Transport(http, retry, config.apiUrl, config.datastore, tokens);
  return {
    // Without checksums nothing is hashed: MD5 is most of the CPU a big upload costs.
    uploads: new UploadsClient(transport, { md5: config.checksums ? inlineMd5 : noMd5 }),
    layers: new LayersClient(transport),
    datastore: new DatastoreClient(transport),
  };
}

/** What publish needs besides the inputs, as main knows it. */
export interface PublishContext {
  /** The datastore's upload space, read before the run. */
  usage?: DatastoreUsage;
  workspace: string;
  signal?: AbortSignal;
  /** The files an incremental update sends: a resumed upload keeps only these. */
  only?: LocalFile[];
  /** Gives Git LFS pointers their content when they are about to be read. */
  withContent?: PublishOptions['withContent'];
}

export function publishOptions(config: Config, fileSet: FileSet, { only, ...context }: PublishContext): PublishOptions {
  return {
    ...config,
    ...context,
    tags: { ...config.tags, ...provenanceTags() },
    checksumFile: config.checksums ? checksumFileName(config.shard) : undefined,
    // Every shard's files: a resumed upload keeps them all.
    keep: new Set((only ?? fileSet.all).map((f) => f.remotePath)),
  };
}

export function layerOptions(config: Config, uploads: UploadsApi, signal?: AbortSignal): LayerOptions {
  return {
    ...config,
    tags: { ...config.tags, ...provenanceTags() },
    deleteUpload: (uploadId) => uploads.deleteUpload(uploadId),
    signal,
  };
}
