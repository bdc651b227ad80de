import * as core from '@actions/core';
import { checkAccess } from './delivery/access.js';
import { commentMarker, renderComment } from './report/comment.js';
import { CancelledError, errorText, InputError, list, NetworkError, TimeoutError } from './shared/errors.js';
import { findFiles, totalBytes, type FileSet, type LocalFile } from './workspace/files.js';
import { formatBytes } from './shared/format.js';
import { isPullRequestEvent, upsertComment } from './report/github.js';
import { readConfig } from './config/inputs.js';
import type { Config } from './config/types.js';
import { changesSince } from './workspace/changes.js';
import type { LayerApi } from './entrepot/layers.js';
import { livePyramid, publishLayer } from './layer/layer.js';
import { prepareLayer } from './layer/pyramid.js';
import type { LayerOptions, LayerPlan, UpdatePlan } from './layer/types.js';
import { fetchContent, splitPointers } from './workspace/lfs.js';
import { keepYoungGenerationSmall } from './shared/memory.js';
import { preflight } from './workspace/preflight.js';
import { checksFailure, readFinalStatus } from './delivery/checks.js';
import { planOffline, publish } from './delivery/publish.js';
import type { PublishResult } from './delivery/types.js';
import { Reporter } from './report/reporter.js';
import { connect, layerOptions, publishOptions } from './setup.js';
import { planUpdate } from './layer/update.js';

/**
 * After a failure, the upload's real status is read once more, within this. After a timeout
 * (`checks-timeout`, `processing-timeout`) only a moment more: a deadline holds for the whole step,
 * and the status last seen stands when the read does not come back in time.
 */
const FINAL_STATUS_READ_MS = 10_000;
const FINAL_STATUS_READ_AFTER_TIMEOUT_MS = 2_000;

/** Wires the modules: inputs → files → preflight → publish → layer → report (and the comment). */
export async function run(signal?: AbortSignal): Promise<void> {
  keepYoungGenerationSmall();
  let config: Config;
  try {
    config = readConfig();
  } catch (error) {
    core.setFailed(errorText(error));
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
  let apis: ReturnType<typeof connect> | undefined;
  try {
    const fileSet = await matchFiles(config, workspace, reporter);
    if (!fileSet) return await reporter.finish(undefined);
    const pointers = await checkLocally(config, fileSet, workspace, reporter, commenting);
    // A Git LFS pointer stands for its content, of the size it states, until that content is read.
    const stated = new Map(pointers.map((f) => [f.remotePath, f]));
    const matched: FileSet = { ...fileSet, files: fileSet.files.map((f) => stated.get(f.remotePath) ?? f) };
    if (pointers.length) reporter.files(matched.files);
    // No credentials (a fork's pull request): the local checks are all there is to run.
    if (!config.auth) {
      reporter.offline();
      return await reporter.finish(planOffline(matched.files, config.prune, reporter.onEvent));
    }
    apis = connect(config, config.auth, reporter, signal);
    const usage = await checkAccess(
      apis.datastore,
      { datastore: config.datastore, apiUrl: config.apiUrl },
      reporter.warning.bind(reporter),
    );
    // The layer's parameters are checked against the processing before any file is sent.
    const chain = config.layer ? layerOptions(config, apis.uploads, signal) : undefined;
    const plan = chain ? await prepareLayer(apis.layers, chain) : undefined;
    if (chain && plan) plan.update = await planLayerUpdate(config, matched, workspace, apis.layers, chain, plan, reporter);
    if (chain && plan?.update?.kind === 'unchanged') {
      await publishLayer(apis.layers, undefined, chain, plan, reporter.onEvent);
      return await reporter.finish({ uploaded: 0, checks: [], dryRun: config.dryRun });
    }
    const files = plan?.update?.files ?? matched.files;
    const only = plan?.update?.kind === 'incremental' ? files : undefined;
    const withContent = contentFetcher(config, workspace, pointers, reporter);
    if (config.dryRun) sayPointersUnread(files, pointers, reporter);
    const options = publishOptions(config, matched, { usage, workspace, signal, only, withContent });
    result = await publish(apis.uploads, files, options, reporter.onEvent);
    const failed = checksFailure(result);
    // The chain starts from a CLOSED upload (a dry run plans it from whatever it found).
    if (!failed && chain && plan && (result.dryRun || result.status === 'CLOSED'))
      await publishLayer(apis.layers, result.upload, chain, plan, reporter.onEvent);
    await reporter.finish(result, failed);
  } catch (error) {
    if (apis && reporter.uploadId && !(error instanceof CancelledError)) {
      const withinMs = error instanceof TimeoutError ? FINAL_STATUS_READ_AFTER_TIMEOUT_MS : FINAL_STATUS_READ_MS;
      await readFinalStatus(apis.uploads, reporter.uploadId, withinMs, reporter.onEvent);
    }
    await reporter.finish(result, unreachable(error, config.apiUrl));
  }
}

/**
 * How the live layer is brought up to date (update.ts): what changed since its pyramid's commit,
 * read from git. The files it leaves out are marked unchanged in the report.
 */
async function planLayerUpdate(
  config: Config,
  fileSet: FileSet,
  workspace: string,
  layers: LayerApi,
  chain: LayerOptions,
  plan: LayerPlan,
  reporter: Reporter,
): Promise<UpdatePlan> {
  const live = await livePyramid(layers, chain);
  const update = await planUpdate(config, fileSet.files, live, plan.parameters, (since) =>
    changesSince(since, workspace, config.patterns, fileSet.files),
  );
  if (update.kind === 'full' && !config.dryRun && update.why !== 'update: full')
    reporter.notice(`A full rebuild of layer ${config.layer}: ${update.why}`);
  reporter.log(`Update of layer ${config.layer}: ${update.kind}, ${update.why}`);
  const sent = new Set(update.files);
  for (const file of fileSet.files) if (!sent.has(file)) reporter.onEvent({ type: 'file', file, outcome: 'unchanged', attempts: 0, ms: 0 });
  return update;
}

/** The matched files, or undefined when there are none to publish (an error, a warning or a line, per input). */
async function matchFiles(config: Config, workspace: string, reporter: Reporter): Promise<FileSet | undefined> {
  const fileSet = await findFiles(config.patterns, workspace, config.shard);
  reporter.files(fileSet.files);
  if (fileSet.sideFiles.length)
    reporter.notice(
      `Left out ${fileSet.sideFiles.length} file(s) that GDAL writes beside rasters, which the platform does not take: ${list(fileSet.sideFiles)}`,
    );
  if (fileSet.files.length > 0) return fileSet;
  if (config.ifNoFilesFound === 'error' && fileSet.matched === 0)
    throw new InputError(
      'glob',
      `matched no file under ${workspace}; check the patterns, for example glob: rasters/**/*.tif (or set if-no-files-found: warn)`,
    );
  const shard = config.shard ? ` in shard ${config.shard.index}/${config.shard.count} of ${fileSet.matched} files` : '';
  const message = `No file matched input 'glob' (${config.patterns.join(', ')}) under ${workspace}${shard}`;
  if (config.ifNoFilesFound !== 'ignore') reporter.warning(message);
  else reporter.log(message);
  return undefined;
}

/**
 * What the platform would refuse, found before anything is sent; for a comment, where each raster
 * lies. Git LFS pointers are left for later: only those to be sent get their content, then a check.
 */
async function checkLocally(
  config: Config,
  fileSet: FileSet,
  workspace: string,
  reporter: Reporter,
  commenting: boolean,
): Promise<LocalFile[]> {
  // proj4 is loaded only for the map of a pull-request comment.
  const footprint = commenting ? (await import('./workspace/footprint.js')).footprint : undefined;
  const { pointers, contents } = await splitPointers(fileSet.files);
  const checked = await preflight(
    contents,
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
    pointers,
  );
  for (const warning of checked.warnings) reporter.warning(warning);
  reporter.log(`${fileSet.files.length} file(s), ${formatBytes(totalBytes(fileSet.files))}, checked against ${config.srs}`);
  if (pointers.length)
    reporter.log(`${pointers.length} file(s) are Git LFS pointers (checked out without their content): only those sent get their content`);
  return pointers;
}

/** A dry run neither fetches nor checks the content of the LFS pointers it would send: it says so. */
function sayPointersUnread(files: LocalFile[], pointers: LocalFile[], reporter: Reporter): void {
  const pointed = new Set(pointers.map((f) => f.remotePath));
  const unread = files.filter((f) => pointed.has(f.remotePath)).length;
  if (unread) reporter.log(`${unread} file(s) to send are Git LFS pointers: a dry run neither fetches nor checks their content`);
}

/**
 * What publish calls for the files it is about to read (send, or hash): those that are Git LFS
 * pointers get their content, fetched alone, then the checks the others had before anything was sent.
 */
function contentFetcher(config: Config, workspace: string, pointers: LocalFile[], reporter: Reporter) {
  const pointed = new Set(pointers.map((f) => f.remotePath));
  return async (files: LocalFile[]): Promise<LocalFile[]> => {
    const toFetch = files.filter((f) => pointed.has(f.remotePath));
    if (toFetch.length === 0) return files;
    const others = files.filter((f) => !pointed.has(f.remotePath));
    reporter.log(`Fetching the Git LFS content of ${toFetch.length} file(s) (git lfs pull)`);
    const fetched = await fetchContent(workspace, toFetch);
    for (const f of fetched) pointed.delete(f.remotePath);
    for (const warning of (await preflight(fetched, config.epsg, workspace, undefined, others)).warnings) reporter.warning(warning);
    const byPath = new Map(fetched.map((f) => [f.remotePath, f]));
    return files.map((f) => byPath.get(f.remotePath) ?? f);
  };
}

/** Writes or updates the pull request's comment; a refusal or a failure is a warning, the step's result stays. */
async function comment(config: Config, reporter: Reporter): Promise<void> {
  if (!config.githubToken)
    return reporter.warning('No github-token: the pull-request comment was not written (pass github-token: ${{ github.token }})');
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId } = process.env;
  const record = reporter.commentRecord();
  if (server && repository && runId) record.runUrl = `${server}/${repository}/actions/runs/${runId}`;
  try {
    // Redacted as everything the run writes: a server's message in the verdict may quote a secret.
    const body = reporter.redact(renderComment(record));
    const outcome = await upsertComment(body, commentMarker(config.name), config.githubToken);
    if (outcome.kind === 'skipped') reporter.warning(`The pull-request comment was not written: ${outcome.reason}`);
    else reporter.log(`Pull-request comment ${outcome.id} ${outcome.kind}`);
  } catch (error) {
    reporter.warning(`The pull-request comment was not written: ${errorText(error)}`);
  }
}

/** Nothing listens at the API's address: say which input names it, rather than blame the network. */
function unreachable(error: unknown, apiUrl: string): unknown {
  if (!(error instanceof NetworkError) || !/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(error.reason)) return error;
  const local = /^https?:\/\/(127\.|localhost|\[::1\])/.test(apiUrl) ? ' (for a local run, start the emulator: npm run emulator)' : '';
  return new NetworkError(
    error.method,
    error.path,
    `${error.reason}; nothing answers at ${apiUrl}: check input 'api-url'${local}`,
  ).withAttempts(error.attempts);
}
