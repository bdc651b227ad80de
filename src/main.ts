import * as core from '@actions/core';
import * as github from '@actions/github';
import { createTokenSource } from './auth.js';
import { checksumFileName } from './checksums.js';
import { EntrepotClient } from './entrepot/client.js';
import { checkAccess } from './access.js';
import { InputError } from './errors.js';
import { findFiles, totalBytes } from './files.js';
import { inlineMd5, noMd5 } from './hash.js';
import { Http, DEFAULT_RETRY } from './http.js';
import { readConfig, type Config } from './inputs.js';
import { preflight } from './preflight.js';
import { checksFailure, publish, type PublishResult } from './publish.js';
import { formatBytes } from './format.js';
import { Reporter } from './report.js';

/** Wires the modules: inputs → files → preflight → publish → report. */
export async function run(signal?: AbortSignal): Promise<void> {
  let config: Config;
  try {
    config = readConfig();
  } catch (error) {
    core.setFailed((error as Error).message);
    return;
  }
  const reporter = new Reporter({ name: config.name, srs: config.srs, datastore: config.datastore });
  let result: PublishResult | undefined;
  try {
    const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
    const fileSet = await findFiles(config.patterns, workspace, config.shard);
    reporter.files(fileSet.files);
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
    const checked = await preflight(fileSet.files, config.epsg);
    for (const warning of checked.warnings) reporter.warning(warning);
    reporter.log(`${fileSet.files.length} file(s), ${formatBytes(totalBytes(fileSet.files))}, checked against ${config.srs}`);

    const http = new Http({
      signal,
      retry: { ...DEFAULT_RETRY, attempts: config.retries },
      // core.debug writes even when the runner hides it: skip the line unless debug is on.
      onRequest: core.isDebug()
        ? (log) => core.debug(`${log.method} ${log.path} → ${log.status ?? log.error} in ${log.ms} ms (attempt ${log.attempt})`)
        : undefined,
      onRetry: (notice) => reporter.retried(`${notice.method} ${notice.path}`, notice.attempt, notice.reason, notice.delayMs),
    });
    const tokens = createTokenSource(config.auth, config.tokenUrl, http, (token) => core.setSecret(token));
    // Without checksums nothing is hashed: MD5 is most of the CPU a big upload costs.
    const api = new EntrepotClient(http, config.apiUrl, config.datastore, tokens, config.checksums ? inlineMd5 : noMd5);
    await checkAccess(
      api,
      { datastore: config.datastore, apiUrl: config.apiUrl, bytes: totalBytes(fileSet.files) },
      reporter.warning.bind(reporter),
    );

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
        attempts: config.retries,
        retryDelay: (attempt, error) => http.retryDelay(attempt, error),
        checksumFile: config.checksums ? checksumFileName(config.shard) : undefined,
        dryRun: config.dryRun,
        signal,
      },
      reporter.onEvent,
    );
    await reporter.finish(result, checksFailure(result));
  } catch (error) {
    await reporter.finish(result, error);
  }
}

/** Tags that trace an upload back to the run that made it. */
function provenanceTags(): Record<string, string> {
  const { GITHUB_REPOSITORY: repository, GITHUB_SHA: sha, GITHUB_RUN_ID: runId } = process.env;
  if (!repository) return {};
  const tags: Record<string, string> = { github_repository: repository };
  if (sha) tags.github_sha = github.context.sha || sha;
  if (runId) tags.github_run_url = `${github.context.serverUrl}/${repository}/actions/runs/${runId}`;
  return tags;
}
