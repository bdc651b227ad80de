import { DATASHEET_TAG, readConfig } from './config/inputs.js';
import { refuseUnknownInputs } from './config/names.js';
import type { Config } from './config/types.js';
import type { RecordContext } from './catalogue/facts.js';
import type { CataloguePlan } from './catalogue/plan.js';
import type { RecordSource } from './catalogue/types.js';
import { checkAccess } from './delivery/access.js';
import { checksFailure, readFinalStatus } from './delivery/checks.js';
import { planOffline, publish } from './delivery/publish.js';
import { retainUploads } from './delivery/retention.js';
import type { PublishResult } from './delivery/types.js';
import { publishLayer } from './layer/layer.js';
import { prepareLayer } from './layer/pyramid.js';
import { builds, SERVICE_TYPE_OF, type LayerOptions, type LayerPlan, type UpdateOptions, type UpdatePlan } from './layer/types.js';
import { checkEndpointRoom, decideUpdate, type DesiredLayer } from './layer/update.js';
import { commentMarker, renderComment } from './report/comment.js';
import { isPullRequestEvent, upsertComment as githubComment, type CommentOutcome } from './report/github.js';
import { Reporter } from './report/reporter.js';
import { GitHubSink, type RunnerCommands } from './report/sink.js';
import { connect, layerOptions, publishOptions, type Apis } from './setup.js';
import { CancelledError, NetworkError, TimeoutError } from './shared/errors.js';
import { keepYoungGenerationSmall } from './shared/memory.js';
import { provenanceTags } from './shared/provenance.js';
import { changesSince, COMMIT_ID } from './workspace/changes.js';
import { readWorkspace, type LocalFiles } from './workspace/stage.js';

/**
 * After a failure, the upload's real status is read once more, within this. After a timeout
 * (`checks-timeout`, `processing-timeout`) only a moment more: a deadline holds for the whole step,
 * and the status last seen stands when the read does not come back in time.
 */
const FINAL_STATUS_READ_MS = 10_000;
const FINAL_STATUS_READ_AFTER_TIMEOUT_MS = 2_000;

/** What the run is given (index.ts passes the runner's; tests pass their own), as `create-github-app-token` does. */
export interface Collaborators {
  /** `@actions/core`: the inputs, and every workflow command the run writes. */
  runner: RunnerCommands & { getInput(name: string): string };
  /** The runner's variables (GITHUB_WORKSPACE, GITHUB_SHA, GITHUB_EVENT_NAME…). */
  env: Readonly<Record<string, string | undefined>>;
  /** The job's cancellation (SIGINT, SIGTERM). */
  signal?: AbortSignal;
  /** Writes the pull-request comment (GitHub's API through @actions/github by default). */
  upsertComment?: (body: string, marker: string, token: string, timeoutMs?: number) => Promise<CommentOutcome>;
}

/** The run, in order: inputs → workspace → delivery → layer → report (and the comment). */
export async function run({ runner, env, signal, upsertComment = githubComment }: Collaborators): Promise<void> {
  keepYoungGenerationSmall();
  let config: Config;
  try {
    refuseUnknownInputs(env);
    config = readConfig(
      (name) => runner.getInput(name),
      (secret) => runner.setSecret(secret),
    );
  } catch (error) {
    runner.setFailed(error instanceof Error ? error.message : String(error));
    return;
  }
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  const reporter = new Reporter(
    { name: config.name, srs: config.srs, datastore: config.datastore, dryRun: config.dryRun, workspace },
    new GitHubSink(runner, config.secrets),
  );
  if (config.dryRun) reporter.log('Dry run: the datastore is read, never changed; the plan follows');
  // A dry run on a pull request tells the reviewers what the merge will publish.
  const commenting = config.dryRun && config.comment === 'auto' && isPullRequestEvent(env);
  const stage = { config, workspace, reporter, tags: { ...config.tags, ...provenanceTags(env) }, env, signal };
  try {
    await deliver(stage, commenting);
  } finally {
    if (commenting) await comment(config, reporter, env, upsertComment);
  }
}

interface Stage {
  config: Config;
  workspace: string;
  reporter: Reporter;
  /** The input's tags with the provenance tags, set on what the run makes. */
  tags: Record<string, string>;
  env: Collaborators['env'];
  signal?: AbortSignal;
}

/** Inputs are read: files, preflight, the delivery, the layer; then the report. */
async function deliver(stage: Stage, commenting: boolean): Promise<void> {
  const { config, workspace, reporter } = stage;
  let result: PublishResult | undefined;
  let apis: Apis | undefined;
  try {
    // Footprints: the comment's map, and the extent of the metadata record.
    const footprints = commenting || config.metadata !== undefined;
    const local = await readWorkspace({ ...config, workspace, footprints, signal: stage.signal }, reporter);
    if (!local) return await reporter.finish(undefined);
    // The record's description is checked with the files, before anything is read or sent.
    const source = config.layer && config.metadata ? await (await catalogue()).readRecordSource(workspace, config.metadata) : undefined;
    // No credentials (a fork's pull request): the local checks are all there is to run.
    if (!config.auth) {
      reporter.offline();
      return await reporter.finish(planOffline(local.fileSet.files, config.prune, reporter.onEvent));
    }
    apis = connect(
      { ...config, auth: config.auth },
      {
        signal: stage.signal,
        onRequest: (log) => reporter.debug(() => `${log.method} ${log.path} → ${log.status ?? log.error} in ${log.ms} ms`),
        onRetry: (notice) => reporter.retried(notice.what, notice.attempt, notice.reason, notice.delayMs),
        onToken: (token) => reporter.secret(token),
      },
    );
    result = await deliverAndServe(stage, apis, local, source);
  } catch (error) {
    if (apis && reporter.uploadId && !(error instanceof CancelledError)) {
      const withinMs = error instanceof TimeoutError ? FINAL_STATUS_READ_AFTER_TIMEOUT_MS : FINAL_STATUS_READ_MS;
      await readFinalStatus(apis.uploads, reporter.uploadId, withinMs, reporter.onEvent);
    }
    await reporter.finish(result, unreachable(error, config.apiUrl));
  }
}

/** Rights and quota read, the layer's update decided, the files delivered, then the layer served. */
async function deliverAndServe(stage: Stage, apis: Apis, local: LocalFiles, source: RecordSource | undefined): Promise<PublishResult> {
  const { config, workspace, reporter, signal } = stage;
  const target = { datastore: config.datastore, apiUrl: config.apiUrl, layer: config.layer };
  const usage = await checkAccess(apis.datastore, target, (m) => reporter.warning(m));
  // The record's description and identifier are checked before any file is sent, as the layer's parameters.
  const record = source ? await planRecord(stage, apis, source) : undefined;
  const tags = { ...stage.tags, ...record?.storedDataTags };
  const ficheTags = { ...datasheetTag(config), ...record?.storedDataTags };
  const chain = config.layer
    ? { ...layerOptions(config, apis.uploads, tags, signal), catalogue: record?.configurations, ficheTags }
    : undefined;
  const plan = chain ? await planLayer(stage, apis, chain, local, record) : undefined;
  if (chain && plan && !builds(plan.update.kind)) {
    // Nothing to send or build: the services are brought to what is asked, from the live pyramid.
    const layer = await publishLayer(apis.layers, undefined, chain, plan, reporter.onEvent);
    if (record) await keepRecord(stage, apis, record, { layer, update: plan.update, ground: local.ground() });
    const none: PublishResult = { uploaded: 0, checks: [], dryRun: config.dryRun };
    await reporter.finish(none);
    return none;
  }
  const files = plan?.update.files ?? local.fileSet.files;
  const only = plan?.update.kind === 'incremental' ? files : undefined;
  const unread = config.dryRun ? local.unread(files) : 0;
  if (unread) reporter.log(`${unread} file(s) to send are Git LFS pointers: a dry run neither fetches nor checks their content`);
  const options = publishOptions(config, local.fileSet, {
    usage,
    workspace,
    signal,
    tags,
    only,
    withContent: local.withContent,
  });
  const result = await publish(apis.uploads, files, options, reporter.onEvent);
  const failed = checksFailure(result);
  // The chain starts from a CLOSED upload (a dry run plans it from whatever it found).
  if (!failed && chain && plan && (result.dryRun || result.status === 'CLOSED')) {
    const layer = await publishLayer(apis.layers, result.upload, chain, plan, reporter.onEvent);
    if (record) await keepRecord(stage, apis, record, { layer, update: plan.update, ground: local.ground() });
  }
  // A delivery leaves its upload behind: what the earlier ones of the name take, and the old ones deleted when asked.
  if (!failed && !chain && !result.dryRun && result.status === 'CLOSED' && result.upload)
    await retainUploads(
      apis.uploads,
      result.upload,
      { name: config.name, repository: stage.env.GITHUB_REPOSITORY, keep: config.retainUploads },
      reporter.onEvent,
    );
  await reporter.finish(result, failed);
  return result;
}

/** The processing and parameters checked, then the reconcile's plan: the live layer against what this commit asks. */
async function planLayer(
  stage: Stage,
  apis: Apis,
  chain: LayerOptions & UpdateOptions,
  local: LocalFiles,
  record: CataloguePlan | undefined,
): Promise<LayerPlan & { update: UpdatePlan }> {
  const { config, workspace, reporter, signal } = stage;
  const prepared = await prepareLayer(apis.layers, chain);
  const files = local.fileSet.files;
  const title = config.layerTitle ?? config.layer ?? '';
  const sha = stage.env.GITHUB_SHA;
  const desired: DesiredLayer = {
    commit: sha && COMMIT_ID.test(sha) ? sha : undefined,
    files,
    parameters: prepared.parameters,
    services: config.services.map((s) => SERVICE_TYPE_OF[s]),
    title,
    abstract: config.layerAbstract ?? title,
    open: config.public,
    configurationTags: { ...datasheetTag(config), ...record?.configurationTags },
    catalogue: record?.configurations,
    update: config.update,
    rebuildEvery: config.rebuildEvery,
  };
  const readLfs = !config.dryRun;
  const update = await decideUpdate(apis.layers, chain, desired, (since) =>
    changesSince(since, workspace, config.patterns, files, { signal, readLfs }),
  );
  reporter.layerUpdate(config.layer ?? '', update, files, config.dryRun);
  checkEndpointRoom(update, await apis.layers.endpoints(), config.public);
  return { ...prepared, update };
}

/** The fiche's name as the tag every entity of the fiche carries; none without a fiche. */
function datasheetTag(config: Config): Record<string, string> {
  return config.datasheet ? { [DATASHEET_TAG]: config.datasheet } : {};
}

/** The catalogue stage, loaded when a run has a record (its XML and YAML libraries are big). */
const catalogue = () => import('./catalogue/index.js');

/** The record's plan: its description read and checked, its identifier with the datastore's prefix, the record found. */
async function planRecord(stage: Stage, apis: Apis, source: RecordSource): Promise<CataloguePlan> {
  const { config } = stage;
  const datastore = await apis.datastore.datastore();
  const plan = await (
    await catalogue()
  ).planCatalogue({
    source,
    layer: config.layer ?? '',
    datasheet: config.datasheet,
    apiUrl: config.apiUrl,
    publish: config.metadataPublish,
    datastore,
    endpoints: datastore.endpoints,
    api: apis.catalogue,
  });
  for (const other of plan.others)
    stage.reporter.warning(
      `Metadata record ${other} also carries the fiche's name; the fiche shows one record only, so remove that tag or that record`,
    );
  return plan;
}

/** The fiche's record brought to what the layer now serves and the repository describes. */
async function keepRecord(stage: Stage, apis: Apis, plan: CataloguePlan, done: Pick<RecordContext, 'layer' | 'update' | 'ground'>) {
  // An older commit than the live layer's describes an older layer: its record is not written either.
  if (done.update.kind === 'stale')
    return stage.reporter.warning("The metadata record was left as it is: the run's commit is older than the live layer's");
  const { config, workspace, signal } = stage;
  // The endpoints' URLs as the plan read them: they do not move during a run.
  const { endpoints } = plan;
  const { ficheNeighbours, reconcileRecord, recordRun } = await catalogue();
  const neighbours = await ficheNeighbours(apis.layers, config.datasheet ?? '', config.layer ?? '', endpoints);
  const sha = stage.env.GITHUB_SHA;
  const commit = sha && COMMIT_ID.test(sha) ? sha : undefined;
  await reconcileRecord(
    apis.catalogue,
    recordRun({ ...done, plan, config, workspace, signal, endpoints, commit, neighbours }),
    stage.reporter.onEvent,
  );
}

/** Writes or updates the pull request's comment; a refusal or a failure is a warning, the step's result stays. */
async function comment(config: Config, reporter: Reporter, env: Collaborators['env'], upsert: Required<Collaborators>['upsertComment']) {
  if (!config.githubToken)
    return reporter.warning('No github-token: the pull-request comment was not written (pass github-token: ${{ github.token }})');
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId } = env;
  const record = reporter.commentRecord();
  if (server && repository && runId) record.runUrl = `${server}/${repository}/actions/runs/${runId}`;
  try {
    // Redacted as everything the run writes: a server's message in the verdict may quote a secret.
    const body = reporter.redact(renderComment(record));
    // GPF_GITHUB_TIMEOUT_SECONDS in the step's env: bounds the comment's requests (README, "Pull-request comment").
    const seconds = Number(env.GPF_GITHUB_TIMEOUT_SECONDS);
    const outcome = await upsert(body, commentMarker(config.name), config.githubToken, seconds > 0 ? seconds * 1000 : undefined);
    if (outcome.kind === 'skipped') reporter.warning(`The pull-request comment was not written: ${outcome.reason}`);
    else reporter.log(`Pull-request comment ${outcome.id} ${outcome.kind}`);
  } catch (error) {
    reporter.warning(`The pull-request comment was not written: ${error instanceof Error ? error.message : String(error)}`);
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
    error.unreachable,
  ).withAttempts(error.attempts);
}
