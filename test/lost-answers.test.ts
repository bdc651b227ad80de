import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/server.js';
import { runAction } from '../scripts/action-runner.js';
import { BadResponseError } from '../src/shared/errors.js';
import { actionInputs, harness } from './support/harness.js';
import { FAST_RETRY, publishTo } from './support/lifecycle.js';

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
