import { appendFileSync, mkdirSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/server.js';
import { quotaVerdict } from '../src/access.js';
import { createTokenSource } from '../src/auth.js';
import { Http } from '../src/http.js';
import { Retrier } from '../src/retry.js';
import { AuthError, BadResponseError, FileUploadError, LocalFileError, TimeoutError } from '../src/errors.js';
import { runAction } from '../scripts/action-runner.js';
import { actionInputs, harness } from './support/harness.js';
import { FAST_RETRY, publishTo } from './support/lifecycle.js';
import { fixture } from './support/workspace.js';

// Every request that changes the datastore happens at most once, whatever the network and the
// files do (issue 10). The emulator acts on a request and then loses its answer, lags its tree,
// hangs or floods a read; the lifecycle must end as if each change had been made exactly once.

const TOKEN = 'test-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN] });

const routeCount = (emu: Emulator, route: string) => emu.requests.filter((r) => r.route === route).length;

describe('a lost answer to a change', () => {
  it.each([
    ['a 502 after the server closed it', { storeThen: 502 }],
    ['a dropped connection after the server closed it', { storeThen: 'reset' as const }],
  ])('close: %s ends CLOSED with one close', async (_label, fault) => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'close', times: 1, fault });
    const run = await publishTo(emu, dir);
    expect(run.error).toBeUndefined();
    expect(run.result?.status).toBe('CLOSED');
    expect(routeCount(emu, 'close')).toBe(1);
  });

  it('create: a dropped connection after the server made the upload makes no second one', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'createUpload', times: 1, fault: { storeThen: 'reset' } });
    const run = await publishTo(emu, dir);
    expect(run.error).toBeUndefined();
    expect(emu.store.uploads.size).toBe(1);
    expect(routeCount(emu, 'createUpload')).toBe(1);
  });

  it('create: a 200 whose body is not JSON is an unknown outcome, not a failure', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'createUpload', times: 1, fault: { storeThen: 200 } });
    // storeThen 200 answers a JSON error object: an answer that is not an upload.
    const run = await publishTo(emu, dir, { close: false });
    expect(run.error).toBeUndefined();
    expect(emu.store.uploads.size).toBe(1);
    expect(routeCount(emu, 'createUpload')).toBe(1);
  });

  it('replace: a lost answer to DELETE of the old upload still replaces it once', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const old = emu.store.createUpload({ name: 'ortho-2024', description: 'x', type: 'RASTER', srs: 'EPSG:2154' });
    old.status = 'CLOSED';
    emu.faults.add({ route: 'deleteUpload', times: 1, fault: { storeThen: 502 } });
    const run = await publishTo(emu, dir, { ifExists: 'replace' });
    expect(run.error).toBeUndefined();
    expect(old.status).toBe('DELETED');
    expect(run.result?.status).toBe('CLOSED');
    expect(routeCount(emu, 'deleteUpload')).toBe(1);
    expect(emu.liveUploads()).toHaveLength(1);
  });

  it('a stale partial file: a lost answer to its DELETE does not fail the run', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const first = await publishTo(emu, dir, { close: false });
    const stale = emu.liveUploads()[0].files.get('data/scans/scan_1950.tif')!;
    stale.size -= 1; // as a dropped connection leaves it
    emu.faults.add({ route: 'deleteData', times: 1, fault: { storeThen: 'reset' } });
    const second = await publishTo(emu, dir);
    expect(second.error).toBeUndefined();
    expect(second.result?.upload?.id).toBe(first.result?.upload?.id);
    expect(second.sent).toEqual(['data/scans/scan_1950.tif']);
    expect(routeCount(emu, 'deleteData')).toBe(1);
    expect(second.result?.status).toBe('CLOSED');
  });

  it('the checksum file: lost answers to its DELETE and its POST leave one whole file', async () => {
    const emu = await emulator();
    const dir = await workspace();
    await publishTo(emu, dir, { close: false });
    emu.faults.add(
      { route: 'deleteMd5', times: 1, fault: { storeThen: 502 } },
      { route: 'postMd5', times: 1, fault: { storeThen: 'reset' } },
    );
    const run = await publishTo(emu, dir);
    expect(run.error).toBeUndefined();
    expect(routeCount(emu, 'deleteMd5')).toBe(1);
    expect(routeCount(emu, 'postMd5')).toBe(2); // one per run: the lost one was not sent again
    expect(run.result?.checks.every((c) => c.status === 'SUCCESS')).toBe(true);
  });

  it('tags: a lost answer is not sent again', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'tags', times: 1, fault: { storeThen: 504 } });
    const run = await publishTo(emu, dir, { close: false, tags: { datasheet_name: 'ortho' } });
    expect(run.error).toBeUndefined();
    expect(routeCount(emu, 'tags')).toBe(1);
    expect(emu.liveUploads()[0].tags).toEqual({ datasheet_name: 'ortho' });
  });

  it('a data POST answered 502 while the tree lags: waits for the tree instead of sending again', async () => {
    const emu = await emulator({ treeLagMs: 600 });
    const dir = await workspace();
    emu.faults.add({ route: 'postData', times: 1, pathMatches: /ortho_650000_6860000/, fault: { storeThen: 502 } });
    const run = await publishTo(emu, dir, { treeSettleMs: 3000 });
    expect(run.error).toBeUndefined();
    expect(emu.requests.filter((r) => r.route === 'postData' && r.query.path === 'data/ortho/ortho_650000_6860000.tif')).toHaveLength(1);
    // It was read more than once: the first read did not show it yet.
    expect(routeCount(emu, 'tree')).toBeGreaterThan(3);
    expect(run.result?.status).toBe('CLOSED');
  });
});

describe('answers that are not what the API returns', () => {
  it.each([
    ['an HTML page', { status: 200, body: '<html><body>Maintenance</body></html>', contentType: 'text/html' }],
    ['an empty body', { status: 200, body: '' }],
    ['truncated JSON', { status: 200, body: '[{"_id":"a","name":"ortho' }],
  ])('the upload list as %s is read again, never as "no upload"', async (_label, fault) => {
    const emu = await emulator();
    const dir = await workspace();
    const first = await publishTo(emu, dir, { close: false });
    emu.faults.add({ route: 'listUploads', times: 1, fault });
    const second = await publishTo(emu, dir);
    expect(second.error).toBeUndefined();
    expect(second.result?.upload?.id).toBe(first.result?.upload?.id);
    expect(emu.store.uploads.size).toBe(1);
    expect(second.sent).toEqual([]);
  });

  it('a list that stays HTML fails the run, naming the answer, and creates nothing', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'listUploads', fault: { status: 200, body: '<html>Portail captif</html>', contentType: 'text/html' } });
    const run = await publishTo(emu, dir, { retry: { ...FAST_RETRY, attempts: 2 } });
    expect(run.error).toBeInstanceOf(BadResponseError);
    expect(run.error?.message).toMatch(/not JSON \(text\/html: Portail captif\)/);
    expect(emu.store.uploads.size).toBe(0);
  });

  it('an endless answer is read up to a bound, then dropped', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'listUploads', fault: { endlessBody: true } });
    const run = await publishTo(emu, dir, { retry: { ...FAST_RETRY, attempts: 2 }, maxResponseBytes: 1024 * 1024 });
    expect(run.error).toBeInstanceOf(BadResponseError);
    expect(run.error?.message).toMatch(/larger than 1\.0 MB/);
    // The server wrote little more than the bound (and socket buffers) before the client left.
    await new Promise((r) => setTimeout(r, 100));
    for (const request of emu.requests.filter((r) => r.route === 'listUploads'))
      expect(request.bytesAnswered ?? 0).toBeLessThan(16 * 1024 * 1024);
    expect(emu.store.uploads.size).toBe(0);
  });
});

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

  it('a 3 s checks-timeout against a server whose every read hangs after the close ends the step within 8 s of the close', async () => {
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
    expect(ended - (closed?.time ?? 0)).toBeLessThan(8000);
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

describe('files that change, vanish or cannot be read', () => {
  const big = async () => Buffer.concat([await fixture('geotiff-2154.tif'), Buffer.alloc(6 * 1024 * 1024, 3)]);

  it('a file that grows while it is sent is never stored truncated, and the run fails naming it', async () => {
    // A harsh server: it stores what it got of the abandoned body, and only a moment later.
    const emu = await emulator({ keepPartialFiles: true, strayDelayMs: 800 });
    const dir = await workspace({ 'rasters/grows.tif': await big(), 'rasters/other.tif': await fixture('geotiff-2154.tif') }, false);
    let grown = false;
    const run = await publishTo(emu, dir, {
      concurrency: 1,
      treeSettleMs: 3000,
      onEvent: (event) => {
        if (event.type === 'file-progress' && event.file.remotePath === 'data/grows.tif' && !grown) {
          grown = true;
          appendFileSync(path.join(dir, 'rasters', 'grows.tif'), Buffer.alloc(1000, 9));
        }
      },
    });
    expect(run.error).toBeInstanceOf(LocalFileError);
    expect(run.error?.message).toMatch(
      /^rasters\/grows\.tif changed while it was sent \(6\.?\d* ?\w*|rasters\/grows\.tif changed while it was sent/,
    );
    expect(run.error?.message).toMatch(/it was not stored$/);
    // One attempt: a local file is not the network's fault.
    expect(emu.requests.filter((r) => r.route === 'postData' && r.query.path === 'data/grows.tif')).toHaveLength(1);
    expect(run.retries).toEqual([]);
    await emu.settled();
    expect(emu.liveUploads()[0].files.has('data/grows.tif')).toBe(false);
    expect(emu.liveUploads()[0].status).toBe('OPEN');
  });

  it.each([
    ['a small file (read whole)', 100 * 1024],
    ['a big file (streamed)', 3 * 1024 * 1024],
  ])('%s that changes once its bytes have left is not kept: the file is checked again after the answer', async (_label, size) => {
    // The server stores the file at once and answers late: the change comes after the last byte left.
    const emu = await emulator();
    emu.faults.add({ route: 'postData', pathMatches: /late\.tif$/, fault: { slowAnswerMs: 600 } });
    const tif = await fixture('geotiff-2154.tif');
    const dir = await workspace({ 'rasters/late.tif': Buffer.concat([tif, Buffer.alloc(size - tif.length, 5)]) }, false);
    const file = path.join(dir, 'rasters', 'late.tif');
    const watch = setInterval(() => {
      if (!emu.liveUploads()[0]?.files.has('data/late.tif')) return;
      clearInterval(watch);
      appendFileSync(file, Buffer.alloc(1000, 9));
    }, 5);
    const run = await publishTo(emu, dir, { treeSettleMs: 1000 });
    clearInterval(watch);
    expect(run.error).toBeInstanceOf(LocalFileError);
    expect(run.error?.message).toBe(
      `rasters/late.tif changed while it was sent (${size} bytes, now ${size + 1000}); the copy sent is not kept`,
    );
    expect(run.retries).toEqual([]);
    await emu.settled();
    expect(emu.liveUploads()[0].files.has('data/late.tif')).toBe(false);
    expect(run.sent).toEqual([]);
  });

  it('a file that shrinks while it is sent: named as local, not stored, not retried', async () => {
    const emu = await emulator({ keepPartialFiles: true, strayDelayMs: 800 });
    const dir = await workspace({ 'rasters/shrinks.tif': await big() }, false);
    let cut = false;
    const run = await publishTo(emu, dir, {
      treeSettleMs: 3000,
      onEvent: (event) => {
        if (event.type === 'file-progress' && !cut) {
          cut = true;
          truncateSync(path.join(dir, 'rasters', 'shrinks.tif'), 2 * 1024 * 1024);
        }
      },
    });
    expect(run.error).toBeInstanceOf(LocalFileError);
    expect(run.error?.message).toMatch(/^rasters\/shrinks\.tif (shrank|changed) while it was sent .*; it was not stored$/);
    expect(run.retries).toEqual([]);
    await emu.settled();
    expect(emu.liveUploads()[0].files.has('data/shrinks.tif')).toBe(false);
  });

  it.each([
    ['deleted', (file: string) => rmSync(file)],
    ['replaced by a directory', (file: string) => (rmSync(file), mkdirSync(file))],
    ['rewritten', (file: string) => writeFileSync(file, Buffer.alloc(100, 1))],
    ['touched, same size', (file: string) => utimesSync(file, new Date(), new Date(Date.now() + 60_000))],
  ])('a file %s after it was matched is named as local, never as the network', async (_label, change) => {
    const emu = await emulator();
    const dir = await workspace({ 'rasters/a.tif': await fixture('geotiff-2154.tif') }, false);
    const file = path.join(dir, 'rasters', 'a.tif');
    const run = await publishTo(emu, dir, { onEvent: (event) => event.type === 'plan' && change(file) });
    expect(run.error).toBeInstanceOf(LocalFileError);
    expect(run.error?.message).toMatch(/^rasters\/a\.tif (no longer exists|is now a directory|changed after it was matched)/);
    expect(run.retries).toEqual([]);
    expect(emu.liveUploads()[0].files.size).toBe(0);
  });
});

describe('the quota, counted against what is still to send', () => {
  it('a resumed upload that holds most of the bytes fits, although all of them would not', async () => {
    const emu = await emulator();
    const dir = await workspace();
    await publishTo(emu, dir, { close: false });
    const upload = emu.liveUploads()[0];
    const held = emu.store.size(upload);
    await emu.store.removeFile(upload, 'data/scans/scan_1950.tif');
    // Room for the one missing file, not for everything again.
    const { quota } = { quota: emu.store.usedBytes() + (held - emu.store.size(upload)) + 10 };
    const run = await publishTo(emu, dir, { usage: { use: emu.store.usedBytes(), quota } });
    expect(run.error).toBeUndefined();
    expect(run.sent).toEqual(['data/scans/scan_1950.tif']);
  });

  it('refuses what does not fit, before anything is sent', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const run = await publishTo(emu, dir, { usage: { use: 0, quota: 1000 } });
    expect(run.error?.message).toMatch(/^The files still to send \(4\.0 KB\) do not fit/);
    expect(emu.store.uploads.size).toBe(0);
  });

  it.each([
    ['use above quota', { use: 20_000, quota: 10_000 }],
    ['a negative use', { use: -5, quota: 10_000 }],
    ['no quota', { use: 0, quota: 0 }],
  ])('figures that cannot be right (%s) warn instead of refusing', (_label, usage) => {
    const verdict = quotaVerdict(usage, 5000, 0);
    expect(verdict.kind).toBe('warn');
  });

  it('counts what replace and prune give back', () => {
    expect(quotaVerdict({ use: 9000, quota: 10_000 }, 5000, 0).kind).toBe('refuse');
    expect(quotaVerdict({ use: 9000, quota: 10_000 }, 5000, 4000).kind).toBe('ok');
  });
});

describe('prune', () => {
  it('deletes from a resumed upload the files no pattern matches, and lists them', async () => {
    const emu = await emulator();
    const dir = await workspace();
    await publishTo(emu, dir, { close: false });
    // The glob changed between runs: the scans are no longer published.
    const run = await publishTo(emu, dir, { glob: ['rasters/ortho/**', 'rasters/mnt/**'] });
    expect(run.error).toBeUndefined();
    const pruned = run.events.flatMap((e) => (e.type === 'pruned' ? [e.file.remotePath] : []));
    expect(pruned.sort()).toEqual(['data/scans/scan_1950.tfw', 'data/scans/scan_1950.tif']);
    expect([...emu.liveUploads()[0].files.keys()].filter((p) => p.startsWith('data/')).sort()).toEqual([
      'data/mnt/mnt_650000_6860000.jp2',
      'data/ortho/2024/ortho_650000_6859680.tif',
      'data/ortho/ortho_650000_6860000.tif',
      'data/ortho/ortho_650320_6860000.tif',
    ]);
    expect(run.result?.status).toBe('CLOSED');
  });

  it('a file deleted locally is deleted from the resumed upload', async () => {
    const emu = await emulator();
    const dir = await workspace();
    await publishTo(emu, dir, { close: false });
    await rm(path.join(dir, 'rasters', 'ortho', 'ortho_650320_6860000.tif'));
    const run = await publishTo(emu, dir);
    expect(run.error).toBeUndefined();
    expect(run.events.filter((e) => e.type === 'pruned').map((e) => e.type === 'pruned' && e.file.remotePath)).toEqual([
      'data/ortho/ortho_650320_6860000.tif',
    ]);
    expect(emu.liveUploads()[0].files.has('data/ortho/ortho_650320_6860000.tif')).toBe(false);
  });

  it('prune: false keeps them and warns', async () => {
    const emu = await emulator();
    const dir = await workspace();
    await publishTo(emu, dir, { close: false });
    await rm(path.join(dir, 'rasters', 'ortho', 'ortho_650320_6860000.tif'));
    const run = await publishTo(emu, dir, { prune: false });
    expect(run.error).toBeUndefined();
    expect(run.events.some((e) => e.type === 'pruned')).toBe(false);
    expect(run.events.find((e) => e.type === 'warning' && /no pattern matches/.test(e.message))).toBeDefined();
    expect(emu.liveUploads()[0].files.has('data/ortho/ortho_650320_6860000.tif')).toBe(true);
  });

  it("a shard never prunes another shard's files", async () => {
    const emu = await emulator();
    const dir = await workspace();
    await publishTo(emu, dir, { shard: { index: 1, count: 2 }, close: false });
    const second = await publishTo(emu, dir, { shard: { index: 2, count: 2 }, close: false });
    expect(second.events.some((e) => e.type === 'pruned')).toBe(false);
    expect([...emu.liveUploads()[0].files.keys()].filter((p) => p.startsWith('data/'))).toHaveLength(6);
  });

  it('a dry run lists what it would delete and deletes nothing', async () => {
    const emu = await emulator();
    const dir = await workspace();
    await publishTo(emu, dir, { close: false });
    await rm(path.join(dir, 'rasters', 'scans'), { recursive: true });
    const before = emu.requests.length;
    const run = await publishTo(emu, dir, { dryRun: true });
    const plan = run.events.find((e) => e.type === 'plan');
    expect(plan?.type === 'plan' && plan.extra.map((f) => f.remotePath)).toEqual(['data/scans/scan_1950.tfw', 'data/scans/scan_1950.tif']);
    expect(emu.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
  });
});

describe('tokens', () => {
  it('a token endpoint that keeps failing is asked `retries` times in all, not inside every API retry', async () => {
    const emu = await emulator({ staticTokens: [], clients: [{ id: 'svc', secret: 's' }] });
    const dir = await workspace();
    emu.faults.add({ route: 'token', fault: { status: 503 } });
    const run = await publishTo(emu, dir, {
      auth: { kind: 'client-credentials', clientId: 'svc', clientSecret: 's' },
      retry: { ...FAST_RETRY, attempts: 3 },
    });
    expect(run.error).toBeInstanceOf(AuthError);
    expect(run.error?.message).toMatch(/could not give a token \(HTTP 503/);
    expect(routeCount(emu, 'token')).toBe(3);
    expect(emu.requests.filter((r) => r.route !== 'token')).toEqual([]);
  });

  it('a token endpoint that fails mid-run is asked `retries` times, then never again: one clear error', async () => {
    const emu = await emulator({ staticTokens: [], clients: [{ id: 'svc', secret: 's' }], tokenTtlSeconds: 1, checkDurationMs: 60_000 });
    const dir = await workspace();
    let broken = false;
    const run = await runAction({
      workspace: dir,
      inputs: actionInputs(emu, '', { 'client-id': 'svc', 'client-secret': 's', retries: '2', 'poll-interval': '0.2' }),
      onStdout: (text) => {
        if (!broken && text.includes('Wait for the checks')) {
          broken = true;
          emu.faults.add({ route: 'token', fault: { status: 503 } });
        }
      },
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/The token endpoint .* could not give a token \(HTTP 503/);
    // Two attempts in all once it broke: not two more for each request that needed a token.
    expect(emu.requests.filter((r) => r.route === 'token' && r.fault)).toHaveLength(2);
    expect(run.outputs.status).toBe('CHECKING');
  });

  it('requests running at once share one token request', async () => {
    const emu = await emulator({ staticTokens: [], clients: [{ id: 'svc', secret: 's' }], tokenTtlSeconds: 3600 });
    emu.faults.add({ route: 'token', times: 1, fault: { delayMs: 200 } });
    const http = new Http();
    const tokens = createTokenSource(
      { kind: 'client-credentials', clientId: 'svc', clientSecret: 's' },
      emu.tokenUrl,
      http,
      new Retrier(FAST_RETRY),
    );
    const got = await Promise.all(Array.from({ length: 8 }, () => tokens.get()));
    expect(new Set(got).size).toBe(1);
    expect(emu.tokensIssued).toHaveLength(1);
  });

  it('a refused secret is one clear error at once, masked in every shape the endpoint may echo', async () => {
    const secret = 'p&ss w+rd/é=%';
    const emu = await emulator({ staticTokens: [], clients: [{ id: 'svc', secret: 'right' }] });
    const dir = await workspace();
    emu.faults.add({ route: 'token', fault: { status: 401, echoRequest: true } });
    const run = await runAction({
      workspace: dir,
      inputs: actionInputs(emu, '', { 'client-id': 'svc', 'client-secret': secret }),
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/The token endpoint refused the credentials .*Check client-id and client-secret/);
    expect(routeCount(emu, 'token')).toBe(1);
    // The endpoint quoted the form it got, so the message carries the secret form-encoded. The runner
    // masks every value registered with add-mask; the summary is the action's to scrub.
    const masks = run.stdout
      .split('\n')
      .filter((l) => l.startsWith('::add-mask::'))
      .map((l) => l.slice('::add-mask::'.length).replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'));
    const masked = masks.reduce(
      (text, mask) => text.split(mask).join('***'),
      run.stdout
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n'),
    );
    const form = new URLSearchParams({ s: secret }).toString().slice(2);
    // What the endpoint echoed is scrubbed from the message itself.
    expect(run.errors[0]).toMatch(/pour la requête grant_type=client_credentials&client_id=svc&client_secret=\*\*\*/);
    for (const shape of [secret, form, encodeURIComponent(secret)]) {
      expect(masked).not.toContain(shape);
      expect(run.summary).not.toContain(shape);
    }
  });
});

describe('what the user is told', () => {
  it('a 403 on a file keeps its hint', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'postData', fault: { status: 403 } });
    const run = await publishTo(emu, dir, { concurrency: 1 });
    expect(run.error).toBeInstanceOf(FileUploadError);
    expect(run.error?.message).toMatch(/HTTP 403: .*\. The account lacks a right on this datastore/);
  });

  it('a 413 on a file keeps its hint', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'postData', fault: { status: 413 } });
    const run = await publishTo(emu, dir, { concurrency: 1 });
    expect(run.error?.message).toMatch(/HTTP 413: .*\. The server refused the size of the request/);
  });

  it('two runs of the same name started together: a warning names both uploads', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'createUpload', fault: { delayMs: 200 } });
    const [a, b] = await Promise.all([publishTo(emu, dir, { close: false }), publishTo(emu, dir, { close: false })]);
    const ids = [a.result?.upload?.id, b.result?.upload?.id];
    expect(new Set(ids).size).toBe(2);
    const warnings = [...a.events, ...b.events].filter((e) => e.type === 'warning' && /appeared beside/.test(e.message));
    expect(warnings.length).toBeGreaterThan(0);
    for (const w of warnings) for (const id of ids) expect(w.type === 'warning' && w.message).toContain(id);
  });

  it('after a close, a later failure leaves the status output at the real state, not OPEN', async () => {
    const emu = await emulator({ checkDurationMs: 60_000 });
    const dir = await workspace();
    emu.faults.add({ route: 'checks', fault: { status: 400, body: JSON.stringify({ error_description: ['Requête invalide'] }) } });
    const run = await runAction({ workspace: dir, inputs: actionInputs(emu, TOKEN) });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/Requête invalide/);
    expect(run.outputs.status).toBe('CHECKING');
    expect(emu.liveUploads()[0].status).toBe('CHECKING');
  });
});

describe('the spawned bundle', () => {
  it('publishes every file once through lost answers on every kind of change', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const old = emu.store.createUpload({ name: 'ortho-2024', description: 'x', type: 'RASTER', srs: 'EPSG:2154' });
    old.status = 'CLOSED';
    emu.faults.add(
      { route: 'deleteUpload', times: 1, fault: { storeThen: 502 } },
      { route: 'createUpload', times: 1, fault: { storeThen: 'reset' } },
      { route: 'tags', times: 1, fault: { storeThen: 502 } },
      { route: 'postData', times: 2, fault: { storeThen: 502 } },
      { route: 'postMd5', times: 1, fault: { storeThen: 'reset' } },
      { route: 'close', times: 1, fault: { storeThen: 502 } },
    );
    const run = await runAction({ workspace: dir, inputs: actionInputs(emu, TOKEN, { 'if-exists': 'replace' }) });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({ status: 'CLOSED', uploaded: '6', 'checks-failed': '0' });
    for (const route of ['deleteUpload', 'createUpload', 'tags', 'postMd5', 'close']) expect(routeCount(emu, route), route).toBe(1);
    expect(routeCount(emu, 'postData')).toBe(6);
    expect(emu.liveUploads()).toHaveLength(1);
    const upload = emu.liveUploads()[0];
    for (const [remote, stored] of upload.files)
      if (remote.startsWith('data/'))
        expect((await readFile(stored.diskPath)).equals(await readFile(path.join(dir, 'rasters', remote.slice(5))))).toBe(true);
  });
});
