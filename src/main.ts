import * as core from '@actions/core';
import { createTokenSource } from './auth.js';
import { checksumFileName } from './checksums.js';
import type { EntrepotApi } from './entrepot/client.js';
import { EntrepotLayerClient } from './entrepot/layers.js';
import { prepareLayer, publishLayer, type LayerOptions } from './layer.js';
import { checkAccess } from './access.js';
import { CancelledError, InputError, list, NetworkError, TimeoutError } from './errors.js';
import { findFiles, totalBytes } from './files.js';
import { inlineMd5, noMd5 } from './hash.js';
import { Http } from './http.js';
import { readConfig, type Config } from './inputs.js';
import { preflight } from './preflight.js';
import { checksFailure, publish, type PublishResult } from './publish.js';
import { formatBytes } from './format.js';
import { keepYoungGenerationSmall } from './memory.js';
import { Reporter } from './report.js';
import { deadline, DEFAULT_RETRY, Retrier } from './retry.js';
import { commentMarker, renderComment } from './comment.js';
import { isPullRequestEvent, upsertComment } from './github.js';

/**
 * After a failure, the upload's real status is read once more, within this. After a timeout
 * (`checks-timeout`, `processing-timeout`) only a moment more: a deadline holds for the whole step,
 * and the status last seen stands when the read does not come back in time.
 */
const FINAL_STATUS_READ_MS = 10_000;
const FINAL_STATUS_READ_AFTER_TIMEOUT_MS = 2_000;

/** Wires the modules: inputs → files → preflight → publish → report. */
export async function run(signal?: AbortSignal): Promise<void> {
  keepYoungGenerationSmall();
  let config: Config;
  try {
    config = readConfig();
  } catch (error) {
    core.setFailed((error as Error).message);
    return;
  }
  const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  const reporter = new Reporter(
    { name: config.name, srs: config.srs, datastore: config.datastore, dryRun: config.dryRun, workspace },
    config.secrets,
  );
  if (config.dryRun) reporter.log('Dry run: the datastore is read, never changed; the plan follows');
  // A dry run on a pull request tells the reviewers what the merge will publish.
  const commenting = config.dryRun && config.comment === 'auto' && isPullRequestEvent();
  try {
    await deliver(config, workspace, reporter, commenting, signal);
  } finally {
    if (commenting) await comment(config, reporter);
  }
}

/** Inputs are read: files, preflight, the delivery, the layer; then the report. */
async function deliver(config: Config, workspace: string, reporter: Reporter, commenting: boolean, signal?: AbortSignal): Promise<void> {
  let result: PublishResult | undefined;
  let api: EntrepotApi | undefined;
  try {
    const fileSet = await findFiles(config.patterns, workspace, config.shard);
    reporter.files(fileSet.files);
    if (fileSet.sideFiles.length)
      reporter.notice(
        `Left out ${fileSet.sideFiles.length} file(s) that GDAL writes beside rasters, which the platform does not take: ${list(fileSet.sideFiles)}`,
      );
    if (fileSet.files.length === 0) {
      const message = `No file matched input 'glob' (${config.patterns.join(', ')}) under ${workspace}${config.shard ? ` in shard ${config.shard.index}/${config.shard.count} of ${fileSet.matched} files` : ''}`;
      if (config.ifNoFilesFound === 'error' && fileSet.matched === 0)
        throw new InputError(
          'glob',
          `matched no file under ${workspace}; check the patterns, for example glob: rasters/**/*.tif (or set if-no-files-found: warn)`,
        );
      if (config.ifNoFilesFound !== 'ignore') reporter.warning(message);
      else reporter.log(message);
      await reporter.finish(undefined);
      return;
    }
    // proj4 is loaded only for the map of a pull-request comment.
    const footprint = commenting ? (await import('./footprint.js')).footprint : undefined;
    const checked = await preflight(
      fileSet.files,
      config.epsg,
      workspace,
      footprint
        ? (file, geo) =>
            reporter.place(
              file,
              geo.epsg,
              geo.epsg && geo.transform && geo.width && geo.height ? footprint(geo.epsg, geo.transform, geo.width, geo.height) : undefined,
            )
        : undefined,
    );
    for (const warning of checked.warnings) reporter.warning(warning);
    reporter.log(`${fileSet.files.length} file(s), ${formatBytes(totalBytes(fileSet.files))}, checked against ${config.srs}`);
    if (!config.auth) {
      // No credentials (a fork's pull request): the local checks are all there is to run.
      reporter.offline();
      reporter.onEvent({ type: 'plan', toSend: fileSet.files, present: [], extra: [], prune: config.prune, create: { replacing: [] } });
      await reporter.finish({ uploaded: 0, checks: [], dryRun: true });
      return;
    }
    const auth = config.auth;

    const http = new Http({
      signal,
      // core.debug writes even when the runner hides it: skip the line unless debug is on.
      onRequest: core.isDebug() ? (log) => core.debug(`${log.method} ${log.path} → ${log.status ?? log.error} in ${log.ms} ms`) : undefined,
    });
    const retry = new Retrier({ ...DEFAULT_RETRY, attempts: config.retries }, signal, (notice) =>
      reporter.retried(notice.what, notice.attempt, notice.reason, notice.delayMs),
    );
    const tokens = createTokenSource(auth, config.tokenUrl, http, retry, (token) => reporter.secret(token));
    // Without checksums nothing is hashed: MD5 is most of the CPU a big upload costs.
    const client = new EntrepotLayerClient(http, retry, config.apiUrl, config.datastore, tokens, {
      md5: config.checksums ? inlineMd5 : noMd5,
    });
    api = client;
    const usage = await checkAccess(api, { datastore: config.datastore, apiUrl: config.apiUrl }, reporter.warning.bind(reporter));
    // The layer's parameters are checked against the processing before any file is sent.
    const layer = config.layer ? await layerPlan(client, config, signal) : undefined;

    result = await publish(
      api,
      fileSet.files,
      {
        name: config.name,
        description: config.description,
        srs: config.srs,
        tags: { ...config.tags, ...provenanceTags() },
        ifExists: config.ifExists,
        uploadId: config.uploadId,
        close: config.close,
        waitForChecks: config.waitForChecks,
        checksTimeoutMs: config.checksTimeoutMs,
        pollIntervalMs: config.pollIntervalMs,
        concurrency: config.concurrency,
        checksumFile: config.checksums ? checksumFileName(config.shard) : undefined,
        dryRun: config.dryRun,
        prune: config.prune,
        keep: new Set(fileSet.all.map((f) => f.remotePath)),
        usage,
        workspace,
        signal,
      },
      reporter.onEvent,
    );
    const failed = checksFailure(result);
    // The chain starts from a CLOSED upload (a dry run plans it from whatever it found).
    if (!failed && layer && (result.dryRun || result.status === 'CLOSED'))
      await publishLayer(client, result.upload, layer.options, layer.plan, reporter.onEvent);
    await reporter.finish(result, failed);
  } catch (error) {
    if (api && reporter.uploadId && !(error instanceof CancelledError))
      await readFinalStatus(
        api,
        reporter.uploadId,
        reporter,
        error instanceof TimeoutError ? FINAL_STATUS_READ_AFTER_TIMEOUT_MS : FINAL_STATUS_READ_MS,
      );
    await reporter.finish(result, unreachable(error, config.apiUrl));
  }
}

/** Writes or updates the pull request's comment; a refusal is a warning, the step's result stays. */
async function comment(config: Config, reporter: Reporter): Promise<void> {
  if (!config.githubToken)
    return reporter.warning('No github-token: the pull-request comment was not written (pass github-token: ${{ github.token }})');
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId } = process.env;
  const record = reporter.commentRecord();
  if (server && repository && runId) record.runUrl = `${server}/${repository}/actions/runs/${runId}`;
  const outcome = await upsertComment(renderComment(record), commentMarker(config.name), config.githubToken);
  if (outcome.kind === 'skipped') reporter.warning(`The pull-request comment was not written: ${outcome.reason}`);
  else reporter.log(`Pull-request comment ${outcome.id} ${outcome.kind}`);
}

async function layerPlan(client: EntrepotLayerClient, config: Config, signal?: AbortSignal) {
  const options: LayerOptions = {
    layer: config.layer,
    services: config.services,
    tms: config.tms,
    compression: config.compression,
    interpolation: config.interpolation,
    bottomLevel: config.bottomLevel,
    topLevel: config.topLevel,
    layerTitle: config.layerTitle,
    layerAbstract: config.layerAbstract,
    public: config.public,
    processingTimeoutMs: config.processingTimeoutMs,
    keepUpload: config.keepUpload,
    pollIntervalMs: config.pollIntervalMs,
    dryRun: config.dryRun,
    tags: { ...config.tags, ...provenanceTags() },
    signal,
  };
  return { options, plan: await prepareLayer(client, options) };
}

/** Nothing listens at the API's address: say which input names it, rather than blame the network. */
function unreachable(error: unknown, apiUrl: string): unknown {
  if (!(error instanceof NetworkError) || !/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(error.reason)) return error;
  const local = /^https?:\/\/(127\.|localhost|\[::1\])/.test(apiUrl) ? ' (for a local run, start the emulator: npm run emulator)' : '';
  return new NetworkError(
    error.method,
    error.path,
    `${error.reason}; nothing answers at ${apiUrl}: check input 'api-url'${local}`,
    error.attempts,
  );
}

/** The `status` output must say the upload's real state: after a failure, read it once more. */
async function readFinalStatus(api: EntrepotApi, uploadId: string, reporter: Reporter, withinMs: number): Promise<void> {
  const limit = deadline(undefined, withinMs, () => new TimeoutError('reading the final status took too long'));
  try {
    const { status } = await api.within(limit.signal).getUpload(uploadId);
    reporter.onEvent({ type: 'status', status });
  } catch {
    // The status last seen stands; the failure itself is what the step reports.
  } finally {
    limit.dispose();
  }
}

/** Tags that trace an upload back to the run that made it. */
function provenanceTags(): Record<string, string> {
  // Read from the runner's variables: the GitHub client (and its start-up time) is not needed here.
  const { GITHUB_REPOSITORY: repository, GITHUB_SHA: sha, GITHUB_RUN_ID: runId, GITHUB_SERVER_URL: server } = process.env;
  if (!repository) return {};
  const tags: Record<string, string> = { github_repository: repository };
  if (sha) tags.github_sha = sha;
  if (runId) tags.github_run_url = `${server || 'https://github.com'}/${repository}/actions/runs/${runId}`;
  return tags;
}
