import { describe, expect, it, vi } from 'vitest';
import type { Emulator } from '../emulator/server.js';
import { runAction } from '../scripts/action-runner.js';
import { readFinalStatus } from '../src/delivery/checks.js';
import type { UploadsApi } from '../src/entrepot/uploads.js';
import { connect } from '../src/setup.js';
import { deadline } from '../src/shared/abort.js';
import { TimeoutError } from '../src/shared/errors.js';
import { actionInputs, harness } from './support/harness.js';
import { FAST_RETRY, publishTo } from './support/lifecycle.js';

// checks-timeout and processing-timeout are deadlines: they hold while a read hangs, while a
// Retry-After asks for longer, and for the whole step; a read that hangs is given up and tried again.

const TOKEN = 'test-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN] });

const routeCount = (emu: Emulator, route: string) => emu.requests.filter((r) => r.route === route).length;

describe('deadlines and hanging reads', () => {
  it('checks-timeout holds while a read of the checks hangs', async () => {
    const emu = await emulator({ checkDurationMs: 60_000 });
    const dir = await workspace();
    emu.faults.add({ route: 'checks', fault: { stall: true } });
    const started = Date.now();
    const run = await publishTo(emu, dir, { glob: ['rasters/ortho/*.tif'], checksTimeoutMs: 800, requestTimeoutMs: 60_000 });
    expect(run.error).toBeInstanceOf(TimeoutError);
    expect(run.error?.message).toMatch(/did not finish within 0\.8 s \(input 'checks-timeout'\); last status CHECKING/);
    // The hanging read was cut by the deadline, not by its own 60 s limit.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(emu.liveUploads()[0].status).toBe('CHECKING');
  });

  it("a 3 s checks-timeout against a server whose every read hangs after the close ends the step, not held by a read's own 2 min limit", async () => {
    const emu = await emulator({ checkDurationMs: 60_000 });
    const dir = await workspace();
    // Nothing reads the upload or its checks before the close: from then on every GET hangs.
    emu.faults.add({ route: 'getUpload', fault: { stall: true } }, { route: 'checks', fault: { stall: true } });
    const run = await runAction({ workspace: dir, inputs: actionInputs(emu, TOKEN, { 'checks-timeout': '0.05' }) });
    const ended = Date.now();
    const closed = emu.requests.find((r) => r.route === 'close');
    expect(run.exitCode).toBe(1);
    expect(run.errors.at(-1)).toMatch(/did not finish within 3 s \(input 'checks-timeout'\); last status CHECKING/);
    // The last status seen is what the step says, although the final read could not be made.
    expect(run.outputs.status).toBe('CHECKING');
    // Without the final read's bound the step would wait for the read's own limit (2 min): far past this.
    expect(ended - (closed?.time ?? 0)).toBeLessThan(45_000);
  });

  it('the final status read after a timeout is bounded by its deadline (a fake clock, no wall-clock margin)', async () => {
    vi.useFakeTimers();
    try {
      const emitted: unknown[] = [];
      // A server whose read never answers: only the deadline's abort ends it.
      const hanging = (signal?: AbortSignal) => ({
        getUpload: () =>
          new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true })),
      });
      const api = { within: (signal: AbortSignal) => hanging(signal) } as unknown as UploadsApi;
      let settled = false;
      const reading = readFinalStatus(api, 'u1', 2000, (e) => emitted.push(e)).then(() => (settled = true));
      await vi.advanceTimersByTimeAsync(1999);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await reading;
      expect(settled).toBe(true);
      expect(emitted).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a deadline cuts a token request that hangs: the deadline's error, not the request's own limit", async () => {
    const emu = await emulator({ staticTokens: [], clients: [{ id: 'svc', secret: 's' }] });
    emu.faults.add({ route: 'token', fault: { stall: true } });
    const { uploads } = connect(
      {
        auth: { kind: 'client-credentials', clientId: 'svc', clientSecret: 's' },
        apiUrl: emu.apiUrl,
        tokenUrl: emu.tokenUrl,
        datastore: emu.datastore,
        retries: 1,
        checksums: true,
        retry: FAST_RETRY,
        // The token request's own limit is far longer than the test: only the deadline can end it.
        http: { requestTimeoutMs: 10 * 60_000 },
      },
      {},
    );
    const limit = deadline(undefined, 300, () => new TimeoutError('the deadline'));
    try {
      await expect(uploads.within(limit.signal).getUpload('u1')).rejects.toThrow('the deadline');
    } finally {
      limit.dispose();
    }
  });

  it('checks-timeout holds while a Retry-After asks to wait longer than is left', async () => {
    const emu = await emulator({ checkDurationMs: 60_000 });
    const dir = await workspace();
    emu.faults.add({ route: 'getUpload', fault: { status: 429, retryAfterSeconds: 30 } });
    const started = Date.now();
    const run = await publishTo(emu, dir, {
      glob: ['rasters/ortho/*.tif'],
      checksTimeoutMs: 600,
      retry: { ...FAST_RETRY, maxRetryAfterMs: 60_000 },
    });
    expect(run.error).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('a data POST whose whole body has left waits for its answer beyond the stall limit', async () => {
    const emu = await emulator();
    const dir = await workspace();
    // The server copies the file elsewhere before it answers: no progress to see, nothing stalled.
    emu.faults.add({ route: 'postData', times: 1, fault: { slowAnswerMs: 900 } });
    const run = await publishTo(emu, dir, { stallTimeoutMs: 300 });
    expect(run.error).toBeUndefined();
    expect(routeCount(emu, 'postData')).toBe(6);
    // Every answer was read: none was given up as stalled (a look at the tree would have hidden it).
    expect(emu.requests.filter((r) => r.route === 'postData').map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
  });

  it('a read that hangs is given up after its own limit and tried again', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'tree', times: 1, fault: { stall: true } }, { route: 'listUploads', times: 1, fault: { hangBody: true } });
    const run = await publishTo(emu, dir, { requestTimeoutMs: 300 });
    expect(run.error).toBeUndefined();
    expect(run.retries.map((r) => r.reason)).toEqual(['no whole answer within 300 ms', 'no whole answer within 300 ms']);
    expect(run.result?.status).toBe('CLOSED');
  });

  it('forgives a few polls that fail after their own retries: the checks run on', async () => {
    const emu = await emulator({ checkDurationMs: 300 });
    const dir = await workspace();
    // Two attempts per read: the first poll fails whole, the second after one more failure.
    emu.faults.add({ route: 'checks', times: 3, fault: { status: 502, body: '<html>Bad Gateway</html>', contentType: 'text/html' } });
    const run = await publishTo(emu, dir, { glob: ['rasters/ortho/*.tif'], retry: { ...FAST_RETRY, attempts: 2 } });
    expect(run.error).toBeUndefined();
    expect(run.events.filter((e) => e.type === 'warning' && /Reading the checks failed/.test(e.message))).toHaveLength(1);
    expect(run.result?.status).toBe('CLOSED');
  });
});
