import { checksumFileName } from '../../src/delivery/checksums.js';
import { findFiles } from '../../src/workspace/files.js';
import type { AuthConfig, Shard } from '../../src/config/types.js';
import { publish } from '../../src/delivery/publish.js';
import type { PublishEvent, PublishOptions, PublishResult } from '../../src/delivery/types.js';
import type { RetryNotice, RetryPolicy } from '../../src/http/retry.js';
import { connect } from '../../src/setup.js';
import type { Emulator } from '../../emulator/server.js';

/** Short waits: the behaviour under test is which retries happen, not how long they last. */
export const FAST_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 1500 };

export interface LifecycleRun {
  result?: PublishResult;
  error?: Error;
  events: PublishEvent[];
  retries: RetryNotice[];
  sent: string[];
}

export interface LifecycleOptions extends Partial<PublishOptions> {
  auth?: AuthConfig;
  glob?: string[];
  shard?: Shard;
  retry?: RetryPolicy;
  stallTimeoutMs?: number;
  requestTimeoutMs?: number;
  maxResponseBytes?: number;
  /** How long the client waits for the tree to show a file after a lost answer. */
  treeSettleMs?: number;
  /** Sees every event as it happens (to change a file while it is sent, say). */
  onEvent?: (event: PublishEvent) => void;
}

/** Runs the real lifecycle (files → HTTP → retry → API client → publish) against the emulator. */
export async function publishTo(emulator: Emulator, workspace: string, options: LifecycleOptions = {}): Promise<LifecycleRun> {
  const events: PublishEvent[] = [];
  const run: LifecycleRun = { events, retries: [], sent: [] };
  // The run's own wiring (setup.ts), with short waits.
  const { uploads: api } = connect(
    {
      auth: options.auth ?? { kind: 'token', token: 'test-token' },
      apiUrl: emulator.apiUrl,
      tokenUrl: emulator.tokenUrl,
      datastore: emulator.datastore,
      retries: (options.retry ?? FAST_RETRY).attempts,
      checksums: true,
      retry: options.retry ?? FAST_RETRY,
      http: {
        stallTimeoutMs: options.stallTimeoutMs,
        requestTimeoutMs: options.requestTimeoutMs,
        maxResponseBytes: options.maxResponseBytes,
      },
      treeSettleMs: options.treeSettleMs ?? 300,
    },
    { signal: options.signal, onRetry: (notice) => run.retries.push(notice) },
  );
  const fileSet = await findFiles(options.glob ?? ['**'], workspace, options.shard);
  try {
    run.result = await publish(
      api,
      fileSet.files,
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
        checksumFile: checksumFileName(options.shard),
        dryRun: false,
        prune: true,
        keep: new Set(fileSet.all.map((f) => f.remotePath)),
        workspace,
        ...options,
      },
      (event) => {
        events.push(event);
        options.onEvent?.(event);
        if (event.type === 'file' && event.outcome === 'sent') run.sent.push(event.file.remotePath);
      },
    );
  } catch (error) {
    run.error = error as Error;
  }
  return run;
}
