import { createTokenSource } from '../../src/auth.js';
import { checksumFileName } from '../../src/checksums.js';
import { EntrepotClient } from '../../src/entrepot/client.js';
import { findFiles } from '../../src/files.js';
import { Http, type RetryPolicy } from '../../src/http.js';
import type { AuthConfig, Shard } from '../../src/inputs.js';
import { publish, type PublishEvent, type PublishOptions, type PublishResult } from '../../src/publish.js';
import type { Emulator } from '../../emulator/server.js';

/** Short waits: the behaviour under test is which retries happen, not how long they last. */
export const FAST_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 1500 };

export interface LifecycleRun {
  result?: PublishResult;
  error?: Error;
  events: PublishEvent[];
  sent: string[];
}

/** Runs the real lifecycle (files → HTTP → API client → publish) against the emulator. */
export async function publishTo(
  emulator: Emulator,
  workspace: string,
  options: Partial<PublishOptions> & {
    auth?: AuthConfig;
    glob?: string[];
    shard?: Shard;
    retry?: RetryPolicy;
    signal?: AbortSignal;
    stallTimeoutMs?: number;
  } = {},
): Promise<LifecycleRun> {
  const http = new Http({ retry: options.retry ?? FAST_RETRY, signal: options.signal, stallTimeoutMs: options.stallTimeoutMs });
  const tokens = createTokenSource(options.auth ?? { kind: 'token', token: 'test-token' }, emulator.tokenUrl, http);
  const api = new EntrepotClient(http, emulator.apiUrl, emulator.datastore, tokens);
  const { files } = await findFiles(options.glob ?? ['**'], workspace, options.shard);
  const events: PublishEvent[] = [];
  const run: LifecycleRun = { events, sent: [] };
  try {
    run.result = await publish(
      api,
      files,
      {
        name: 'ortho-2024',
        description: 'Orthophotos 2024',
        srs: 'EPSG:2154',
        tags: {},
        ifExists: 'resume',
        close: true,
        waitForChecks: true,
        checksTimeoutMs: 30_000,
        pollIntervalMs: 20,
        concurrency: 4,
        attempts: (options.retry ?? FAST_RETRY).attempts,
        retryDelay: (attempt, error) => http.retryDelay(attempt, error),
        checksumFile: checksumFileName(options.shard),
        dryRun: false,
        ...options,
      },
      (event) => {
        events.push(event);
        if (event.type === 'file' && event.outcome === 'sent') run.sent.push(event.file.remotePath);
      },
    );
  } catch (error) {
    run.error = error as Error;
  }
  return run;
}
