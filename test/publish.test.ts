import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../emulator/faults.js';
import type { Emulator } from '../emulator/server.js';
import { harness } from './support/harness.js';
import { totp } from '../src/http/auth.js';
import { AuthError, FileUploadError, TimeoutError, UploadStateError } from '../src/shared/errors.js';
import { FAST_RETRY, publishTo } from './support/lifecycle.js';
import { fixture } from './support/workspace.js';

const { emulator, workspace } = harness({ staticTokens: ['test-token'] });

/** The server holds exactly these local files, byte for byte, under data/. */
async function expectStored(emu: Emulator, dir: string, relative: string[]) {
  const [upload] = emu.liveUploads();
  const data = [...upload.files.keys()].filter((p) => p.startsWith('data/')).sort();
  expect(data).toEqual(relative.map((r) => `data/${r}`).sort());
  for (const r of relative) {
    const stored = upload.files.get(`data/${r}`);
    expect(await readFile(stored!.diskPath)).toEqual(await readFile(path.join(dir, 'rasters', r)));
  }
}

const SAMPLE_FILES = [
  'mnt/mnt_650000_6860000.jp2',
  'ortho/2024/ortho_650000_6859680.tif',
  'ortho/ortho_650000_6860000.tif',
  'ortho/ortho_650320_6860000.tif',
  'scans/scan_1950.tfw',
  'scans/scan_1950.tif',
];

describe('publish over HTTP against the emulator', () => {
  it('publishes GeoTIFFs, a TIFF+TFW pair and a JPEG2000 into one upload that ends CLOSED', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const run = await publishTo(emu, dir, { tags: { datasheet_name: 'ortho' } });
    expect(run.error).toBeUndefined();
    expect(run.result?.status).toBe('CLOSED');
    expect(run.result?.uploaded).toBe(6);
    expect(run.result?.checks.map((c) => [c.name, c.status]).sort()).toEqual([
      ['Vérification raster', 'SUCCESS'],
      ['Vérification standard', 'SUCCESS'],
    ]);
    expect(emu.liveUploads()).toHaveLength(1);
    const [upload] = emu.liveUploads();
    expect(upload).toMatchObject({ name: 'ortho-2024', srs: 'EPSG:2154', type: 'RASTER', status: 'CLOSED' });
    expect(upload.tags).toEqual({ datasheet_name: 'ortho' });
    await expectStored(emu, dir, SAMPLE_FILES);
    // The checksum file covers every data file and the standard check verified it.
    const md5 = await readFile(upload.files.get('checksums.md5')!.diskPath, 'utf8');
    expect(
      md5
        .trim()
        .split('\n')
        .map((l) => l.split('  ')[1]),
    ).toEqual(SAMPLE_FILES.map((f) => `data/${f}`));
    // Each file went in one request: nothing was sent twice.
    expect(emu.requests.filter((r) => r.route === 'postData')).toHaveLength(6);
  });

  it('stores names with spaces, accents, #, &, + and % exactly as on disk', async () => {
    const emu = await emulator();
    const tif = await fixture('geotiff-2154.tif');
    const dir = await workspace({ 'rasters/é t#&+%.tif': tif, 'rasters/sub dir/a+b.tif': tif }, false);
    const run = await publishTo(emu, dir);
    expect(run.error).toBeUndefined();
    expect([...emu.liveUploads()[0].files.keys()].filter((p) => p.startsWith('data/')).sort()).toEqual([
      'data/sub dir/a+b.tif',
      'data/é t#&+%.tif',
    ]);
    expect(run.result?.status).toBe('CLOSED');
  });

  it('ends UNSTABLE with the raster check ERROR lines when a file is in another SRS', async () => {
    const emu = await emulator();
    const dir = await workspace({ 'rasters/ortho/wgs84.tif': await fixture('geotiff-4326.tif') });
    const run = await publishTo(emu, dir);
    expect(run.result?.status).toBe('UNSTABLE');
    const raster = run.result?.checks.find((c) => c.name === 'Vérification raster');
    expect(raster?.status).toBe('FAILURE');
    expect(raster?.errorLines).toHaveLength(1);
    expect(raster?.errorLines[0]).toMatch(/ERROR\|\|.*Incohérence avec le SRS du fichier .*wgs84\.tif$/);
    expect(run.result?.checks.find((c) => c.name === 'Vérification standard')?.status).toBe('SUCCESS');
  });

  it('resumes an upload left OPEN by close: false, sending nothing twice', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const first = await publishTo(emu, dir, { close: false });
    expect(first.result?.status).toBe('OPEN');
    expect(first.sent).toHaveLength(6);
    const second = await publishTo(emu, dir);
    expect(second.error).toBeUndefined();
    expect(second.result?.upload?.id).toBe(first.result?.upload?.id);
    expect(second.sent).toHaveLength(0);
    expect(second.result?.status).toBe('CLOSED');
    expect(emu.requests.filter((r) => r.route === 'postData')).toHaveLength(6);
    expect(emu.liveUploads()).toHaveLength(1);
  });

  it('after a run that died after 2 of 6 files, a re-run sends only the 4 missing ones', async () => {
    const emu = await emulator();
    const dir = await workspace();
    // Files go in path order, one at a time: the first two pass, the third stops the run.
    emu.faults.add({ route: 'postData', pathMatches: /ortho\/ortho_|scans/, fault: { status: 500 } });
    const first = await publishTo(emu, dir, { concurrency: 1, retry: { ...FAST_RETRY, attempts: 1 } });
    expect(first.error).toBeInstanceOf(FileUploadError);
    emu.faults.clear();
    const partial = [...emu.liveUploads()[0].files.keys()];
    expect(partial).toHaveLength(2);
    const second = await publishTo(emu, dir);
    expect(second.result?.upload?.id).toBe(emu.liveUploads()[0]._id);
    expect(second.sent.sort()).toEqual(SAMPLE_FILES.map((f) => `data/${f}`).filter((p) => !partial.includes(p)));
    expect(second.result?.status).toBe('CLOSED');
    expect(emu.store.uploads.size).toBe(1);
  });

  it('attaches to upload-id and skips files already there with the same size', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const upload = emu.store.createUpload({ name: 'made elsewhere', description: 'x', type: 'RASTER', srs: 'EPSG:2154' });
    const first = await publishTo(emu, dir, { uploadId: upload._id, close: false, concurrency: 1, retry: { ...FAST_RETRY, attempts: 1 } });
    expect(first.sent).toHaveLength(6);
    // A stale, truncated copy of one file: it is replaced, the others are skipped.
    const stale = upload.files.get('data/ortho/ortho_650000_6860000.tif')!;
    stale.size -= 1;
    const second = await publishTo(emu, dir, { uploadId: upload._id, name: 'ignored with upload-id' });
    expect(second.error).toBeUndefined();
    expect(second.result?.upload?.id).toBe(upload._id);
    expect(second.sent).toEqual(['data/ortho/ortho_650000_6860000.tif']);
    expect(emu.requests.filter((r) => r.route === 'deleteData').map((r) => r.query.path)).toEqual(['data/ortho/ortho_650000_6860000.tif']);
    expect(emu.store.uploads.size).toBe(1);
    expect(second.result?.status).toBe('CLOSED');
  });

  it('matches the name exactly although the server filter is pattern-like, and ignores DELETED uploads', async () => {
    const emu = await emulator({ listDeleted: true });
    const dir = await workspace();
    // Same-looking names: `_` is a one-character wildcard in the server's filter.
    const lookalike = emu.store.createUpload({ name: 'ortho-2024-old', description: 'x', type: 'RASTER', srs: 'EPSG:2154' });
    const wildcard = emu.store.createUpload({ name: 'ortho_2024', description: 'x', type: 'RASTER', srs: 'EPSG:2154' });
    const deleted = emu.store.createUpload({ name: 'ortho-2024', description: 'x', type: 'RASTER', srs: 'EPSG:2154' });
    deleted.status = 'DELETED';
    const run = await publishTo(emu, dir, { name: 'ortho_2024', close: false, glob: ['rasters/ortho/*.tif'] });
    expect(run.result?.upload?.id).toBe(wildcard._id);
    const other = await publishTo(emu, dir, { name: 'ortho-2024', close: false, glob: ['rasters/ortho/*.tif'] });
    expect([lookalike._id, wildcard._id, deleted._id]).not.toContain(other.result?.upload?.id);
  });

  it('reads every page of the upload list', async () => {
    const emu = await emulator();
    const dir = await workspace();
    for (let i = 0; i < 230; i++)
      emu.store.createUpload({ name: `ortho-2024 copy ${i}`, description: 'x', type: 'RASTER', srs: 'EPSG:2154' });
    const target = emu.store.createUpload({ name: 'ortho-2024', description: 'x', type: 'RASTER', srs: 'EPSG:2154' });
    // Make the exact match the oldest, so it sits on the last page.
    target.lastEvent.date = '2000-01-01T00:00:00.000Z';
    const run = await publishTo(emu, dir, { close: false, glob: ['rasters/scans/*'] });
    expect(run.result?.upload?.id).toBe(target._id);
    expect(emu.requests.filter((r) => r.route === 'listUploads').map((r) => r.query.page)).toEqual(['1', '2', '3']);
  });

  it('survives a server that ignores paging: one list request, not thousands', async () => {
    const emu = await emulator({ ignorePaging: true });
    const dir = await workspace({ 'rasters/ortho/wgs84.tif': await fixture('geotiff-4326.tif') });
    for (let i = 0; i < 150; i++)
      emu.store.createUpload({ name: `ortho-2024 copy ${i}`, description: 'x', type: 'RASTER', srs: 'EPSG:2154' });
    const run = await publishTo(emu, dir);
    expect(run.result?.status).toBe('UNSTABLE');
    expect(emu.requests.filter((r) => r.route === 'listUploads').length).toBeLessThanOrEqual(2);
    expect(emu.requests.filter((r) => r.route === 'logs').length).toBe(1);
    expect(run.result?.checks.find((c) => c.status === 'FAILURE')?.errorLines).toHaveLength(1);
  });

  it('survives a server that ignores page but honours limit: the same page again ends the list', async () => {
    const emu = await emulator({ ignorePage: true });
    const dir = await workspace();
    for (let i = 0; i < 150; i++)
      emu.store.createUpload({ name: `ortho-2024 copy ${i}`, description: 'x', type: 'RASTER', srs: 'EPSG:2154' });
    const run = await publishTo(emu, dir, { glob: ['rasters/scans/*'] });
    expect(run.error).toBeUndefined();
    // Two lists (find, then the race check), each read as page 1 and a page 2 that repeats it.
    expect(emu.requests.filter((r) => r.route === 'listUploads').map((r) => r.query.page)).toEqual(['1', '2', '1', '2']);
  });

  it.each(['base', 'ignore-fields'] as const)(
    'on %s lists, a re-run of a commit whose upload ended CLOSED goes on from it, found by its tags',
    async (listFields) => {
      const emu = await emulator({ listFields });
      const dir = await workspace();
      const tags = { github_sha: 'c0ffee' };
      const first = await publishTo(emu, dir, { tags });
      expect(first.result?.status).toBe('CLOSED');
      // Another commit's CLOSED upload of the same name, more recent: not this run's.
      const other = emu.store.createUpload({ name: 'ortho-2024', description: 'x', type: 'RASTER', srs: 'EPSG:2154' });
      Object.assign(other, { status: 'CLOSED', tags: { github_sha: 'beef' } });
      const again = await publishTo(emu, dir, { tags });
      expect(again.error).toBeUndefined();
      expect(again.result?.upload?.id).toBe(first.result?.upload?.id);
      expect(again.sent).toEqual([]);
      expect(emu.requests.filter((r) => r.route === 'createUpload')).toHaveLength(1);
    },
  );

  it('waits for checks that are registered late, and for slow ones', async () => {
    const emu = await emulator({ checkRegistrationDelayMs: 300, checkDurationMs: 400 });
    const dir = await workspace();
    const run = await publishTo(emu, dir, { glob: ['rasters/ortho/*.tif'] });
    expect(run.error).toBeUndefined();
    expect(run.result?.status).toBe('CLOSED');
    expect(run.result?.checks).toHaveLength(2);
    expect(run.result?.checks.every((c) => c.start && c.finish)).toBe(true);
  });

  it('fails with a timeout naming the last status, and leaves the upload as it is', async () => {
    const emu = await emulator({ checkDurationMs: 60_000 });
    const dir = await workspace();
    const run = await publishTo(emu, dir, { glob: ['rasters/ortho/*.tif'], checksTimeoutMs: 300 });
    expect(run.error).toBeInstanceOf(TimeoutError);
    expect(run.error?.message).toMatch(/last status CHECKING/);
    expect(run.error?.message).toMatch(/checks-timeout/);
    expect(emu.liveUploads()[0].status).toBe('CHECKING');
  });

  it('leaves the upload OPEN and does not wait with close: false', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const run = await publishTo(emu, dir, { close: false });
    expect(run.result?.status).toBe('OPEN');
    expect(emu.requests.some((r) => r.route === 'close' || r.route === 'checks')).toBe(false);
  });

  it('sends only GET requests in a dry run that finds an OPEN upload to resume', async () => {
    const emu = await emulator();
    const dir = await workspace();
    await publishTo(emu, dir, { close: false, glob: ['rasters/**'], tags: { a: 'b' } });
    emu.liveUploads()[0].files.delete('data/scans/scan_1950.tfw');
    const before = emu.requests.length;
    const run = await publishTo(emu, dir, { dryRun: true, tags: { a: 'changed' } });
    const plan = run.events.find((e) => e.type === 'plan');
    expect(plan && plan.type === 'plan' && plan.toSend.map((f) => f.remotePath)).toEqual(['data/scans/scan_1950.tfw']);
    expect(emu.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(emu.liveUploads()[0].tags).toEqual({ a: 'b' });
  });

  it('sends only GET requests in a dry run', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const run = await publishTo(emu, dir, { dryRun: true });
    expect(run.result?.dryRun).toBe(true);
    const plan = run.events.find((e) => e.type === 'plan');
    expect(plan && plan.type === 'plan' && plan.toSend.length).toBe(6);
    expect(emu.requests.every((r) => r.method === 'GET')).toBe(true);
    expect(emu.store.uploads.size).toBe(0);
  });
});

describe('if-exists', () => {
  async function withExisting(status: 'OPEN' | 'CLOSED' | 'CHECKING') {
    const emu = await emulator();
    const dir = await workspace();
    const old = emu.store.createUpload({ name: 'ortho-2024', description: 'x', type: 'RASTER', srs: 'EPSG:2154' });
    old.status = status;
    return { emu, dir, old };
  }

  it('fail: a clear error and nothing created', async () => {
    const { emu, dir, old } = await withExisting('OPEN');
    const run = await publishTo(emu, dir, { ifExists: 'fail' });
    expect(run.error).toBeInstanceOf(UploadStateError);
    expect(run.error?.message).toContain(old._id);
    expect(run.error?.message).toMatch(/if-exists/);
    expect(emu.store.uploads.size).toBe(1);
    expect(emu.requests.filter((r) => r.method !== 'GET')).toHaveLength(0);
  });

  it('replace: the old upload DELETED, a new one CLOSED', async () => {
    const { emu, dir, old } = await withExisting('CLOSED');
    const run = await publishTo(emu, dir, { ifExists: 'replace' });
    expect(run.error).toBeUndefined();
    expect(old.status).toBe('DELETED');
    expect(run.result?.upload?.id).not.toBe(old._id);
    expect(run.result?.status).toBe('CLOSED');
  });

  it('create: a second upload beside the first', async () => {
    const { emu, dir, old } = await withExisting('OPEN');
    const run = await publishTo(emu, dir, { ifExists: 'create', close: false });
    expect(run.result?.upload?.id).not.toBe(old._id);
    expect(emu.liveUploads()).toHaveLength(2);
  });

  it('resume: an upload of that name found CHECKING is awaited, not touched', async () => {
    const emu = await emulator({ checkDurationMs: 600 });
    const dir = await workspace();
    const first = await publishTo(emu, dir, { waitForChecks: false });
    expect(first.result?.status).toBe('CHECKING');
    const before = emu.requests.length;
    const second = await publishTo(emu, dir);
    expect(second.error).toBeUndefined();
    expect(second.result?.upload?.id).toBe(first.result?.upload?.id);
    expect(second.result?.status).toBe('CLOSED');
    expect(emu.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(emu.store.uploads.size).toBe(1);
  });

  it('resume: an OPEN upload made for another SRS stops the run before anything is sent', async () => {
    const { emu, dir, old } = await withExisting('OPEN');
    old.srs = 'EPSG:4326';
    const run = await publishTo(emu, dir);
    expect(run.error).toBeInstanceOf(UploadStateError);
    expect(run.error?.message).toBe(
      `Upload ${old._id} was made for EPSG:4326, not EPSG:2154 (input 'srs'); publish with if-exists: replace, or under another name`,
    );
    expect(emu.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('upload-id: a CLOSED upload that lacks files is reported as such, not as one to resume', async () => {
    const { emu, dir, old } = await withExisting('CLOSED');
    const run = await publishTo(emu, dir, { uploadId: old._id });
    expect(run.error).toBeInstanceOf(UploadStateError);
    expect(run.error?.message).toMatch(
      new RegExp(
        `^Upload ${old._id} is CLOSED and does not hold every file \\(data/mnt/mnt_650000_6860000\\.jp2, .* and 3 more\\); files cannot be added`,
      ),
    );
    expect(emu.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('resume: a CLOSED upload of that name is left alone and a new one made', async () => {
    const { emu, dir, old } = await withExisting('CLOSED');
    const run = await publishTo(emu, dir, { close: false });
    expect(run.result?.upload?.id).not.toBe(old._id);
    expect(old.status).toBe('CLOSED');
  });
});

describe('unreliable networks', () => {
  it("waits what a 429's Retry-After asks before trying again, not the policy's own backoff", async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'listUploads', times: 1, fault: { status: 429, retryAfterSeconds: 1 } });
    // FAST_RETRY's own backoff is at most 40 ms: a pause of a second can only be the server's.
    const run = await publishTo(emu, dir, { close: false, glob: ['rasters/scans/*'] });
    expect(run.error).toBeUndefined();
    expect(run.retries.map((r) => r.delayMs)).toEqual([1000]);
    const [refused, retried] = emu.requests.filter((r) => r.route === 'listUploads');
    expect(refused.status).toBe(429);
    expect(retried.time - refused.time).toBeGreaterThanOrEqual(950);
  });

  it('survives 30% of file POSTs failing with 503, 429 + Retry-After, resets mid-body and 502 after storing', async () => {
    const emu = await emulator({ random: seededRandom(7) });
    const files: Record<string, Buffer> = {};
    const tif = await fixture('geotiff-2154.tif');
    for (let i = 0; i < 24; i++) files[`rasters/tile_${i}.tif`] = Buffer.concat([tif, Buffer.alloc(2000 * (i + 1), i)]);
    const dir = await workspace(files, false);
    emu.faults.add(
      { route: 'postData', probability: 0.075, fault: { status: 503 } },
      { route: 'postData', probability: 0.08, fault: { status: 429, retryAfterSeconds: 1 } },
      { route: 'postData', probability: 0.09, fault: { resetMidBody: true } },
      { route: 'postData', probability: 0.1, fault: { storeThen: 502 } },
    );
    const run = await publishTo(emu, dir, { retry: { ...FAST_RETRY, attempts: 8 } });
    expect(run.error).toBeUndefined();
    expect(run.result?.status).toBe('CLOSED');
    const kinds = new Set(emu.faults.fired.map((f) => Object.keys(f.fault)[0]));
    expect(kinds).toEqual(new Set(['status', 'resetMidBody', 'storeThen']));
    expect(emu.faults.fired.filter((f) => 'status' in f.fault && f.fault.status === 429).length).toBeGreaterThan(0);
    const attempts = emu.requests.filter((r) => r.route === 'postData').length;
    expect(emu.faults.fired.length / attempts).toBeGreaterThan(0.2);
    // Every file once, byte-identical; one upload; a file stored before a 502 was not sent again.
    const [upload] = emu.liveUploads();
    expect(emu.liveUploads()).toHaveLength(1);
    for (const [relative, content] of Object.entries(files))
      expect(await readFile(upload.files.get(`data/${relative.slice(8)}`)!.diskPath)).toEqual(content);
    const posts = emu.requests.filter((r) => r.route === 'postData');
    posts.forEach((post, i) => {
      if (post.fault === 'storeThen') expect(posts.slice(i + 1).filter((later) => later.query.path === post.query.path)).toHaveLength(0);
    });
    expect(run.result?.checks.every((c) => c.status === 'SUCCESS')).toBe(true);
  });

  it('deletes a partial file left by a reset, then sends it again whole', async () => {
    const emu = await emulator();
    const dir = await workspace({ 'rasters/a.tif': Buffer.concat([await fixture('geotiff-2154.tif'), Buffer.alloc(500_000, 1)]) }, false);
    emu.faults.add({ route: 'postData', times: 1, fault: { resetMidBody: true } });
    const run = await publishTo(emu, dir);
    expect(run.error).toBeUndefined();
    expect(emu.requests.filter((r) => r.route === 'deleteData').map((r) => r.query.path)).toEqual(['data/a.tif']);
    expect(emu.requests.filter((r) => r.route === 'postData')).toHaveLength(2);
    expect(run.result?.status).toBe('CLOSED');
  });

  it('counts a file as sent when a strict server refuses to overwrite what an unanswered attempt stored', async () => {
    const emu = await emulator({ refuseOverwrite: true });
    const dir = await workspace();
    // The POST is stored but answered 409, as a strict server answers a re-send of a file it holds.
    emu.faults.add({ route: 'postData', times: 1, pathMatches: /scan_1950\.tif$/, fault: { storeThen: 409 } });
    const run = await publishTo(emu, dir);
    expect(run.error).toBeUndefined();
    expect(emu.requests.filter((r) => r.route === 'postData' && r.query.path === 'data/scans/scan_1950.tif')).toHaveLength(1);
    expect(run.result?.status).toBe('CLOSED');
  });

  it('never creates a duplicate when the create request fails after the server made the upload', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'createUpload', times: 1, fault: { storeThen: 502 } });
    const run = await publishTo(emu, dir);
    expect(run.error).toBeUndefined();
    expect(emu.store.uploads.size).toBe(1);
    expect(emu.requests.filter((r) => r.route === 'createUpload')).toHaveLength(1);
  });

  it('retries a create refused with 503, and lists before trying again after a reset', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add(
      { route: 'createUpload', times: 1, fault: { status: 503 } },
      { route: 'createUpload', times: 1, fault: { reset: true } },
    );
    const run = await publishTo(emu, dir, { close: false });
    expect(run.error).toBeUndefined();
    expect(emu.store.uploads.size).toBe(1);
    expect(emu.requests.filter((r) => r.route === 'createUpload')).toHaveLength(3);
  });

  it('fails on a permanent 500 naming the file and the attempts, and does not close', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'postData', pathMatches: /scan_1950\.tif$/, fault: { status: 500 } });
    const run = await publishTo(emu, dir, { retry: { ...FAST_RETRY, attempts: 3 } });
    expect(run.error).toBeInstanceOf(FileUploadError);
    expect(run.error?.message).toMatch(/data\/scans\/scan_1950\.tif after 3 attempts/);
    expect(emu.requests.filter((r) => r.route === 'postData' && r.query.path === 'data/scans/scan_1950.tif')).toHaveLength(3);
    expect(emu.requests.some((r) => r.route === 'close')).toBe(false);
    expect(emu.liveUploads()[0].status).toBe('OPEN');
  });

  it('fails at once on a 400, quoting the API', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'postData', fault: { status: 400, body: JSON.stringify({ error_description: ['Le fichier est refusé'] }) } });
    const run = await publishTo(emu, dir, { concurrency: 1 });
    expect(run.error?.message).toMatch(/HTTP 400: Le fichier est refusé/);
    expect(emu.requests.filter((r) => r.route === 'postData')).toHaveLength(1);
  });

  it('abandons a body the server stopped reading, then sends the file again from its first byte', async () => {
    const emu = await emulator();
    // Bigger than the socket buffers, so the stall shows before the body is all written.
    const big = Buffer.concat([await fixture('geotiff-2154.tif'), Buffer.alloc(48 * 1024 * 1024, 7)]);
    const dir = await workspace({ 'rasters/big.tif': big }, false);
    emu.faults.add({ route: 'postData', times: 1, fault: { stall: true } });
    const run = await publishTo(emu, dir, { stallTimeoutMs: 500 });
    expect(run.error).toBeUndefined();
    expect(run.retries.find((r) => r.what === 'data/big.tif')?.reason).toMatch(/no upload progress for 500 ms/);
    expect(emu.requests.filter((r) => r.route === 'postData')).toHaveLength(2);
    // Buffer.equals: a deep toEqual walks 48 MB byte by byte.
    expect((await readFile(emu.liveUploads()[0].files.get('data/big.tif')!.diskPath)).equals(big)).toBe(true);
    expect(run.result?.status).toBe('CLOSED');
  });

  it('retries transient errors while polling the checks', async () => {
    const emu = await emulator({ checkDurationMs: 200 });
    const dir = await workspace();
    emu.faults.add({ route: 'checks', times: 4, fault: { status: 502, body: '<html>Bad Gateway</html>', contentType: 'text/html' } });
    const run = await publishTo(emu, dir, { glob: ['rasters/ortho/*.tif'] });
    expect(run.error).toBeUndefined();
    expect(run.result?.status).toBe('CLOSED');
  });
});

describe('authentication', () => {
  it('renews 2-second client-credentials tokens through a long run with slow checks', async () => {
    const emu = await emulator({ staticTokens: [], clients: [{ id: 'svc', secret: 's3cret' }], tokenTtlSeconds: 2, checkDurationMs: 5000 });
    const dir = await workspace();
    const run = await publishTo(emu, dir, {
      auth: { kind: 'client-credentials', clientId: 'svc', clientSecret: 's3cret' },
      pollIntervalMs: 200,
    });
    expect(run.error).toBeUndefined();
    expect(run.result?.status).toBe('CLOSED');
    expect(emu.tokensIssued.length).toBeGreaterThanOrEqual(3);
    expect(emu.tokensIssued.every((t) => t.grant === 'client_credentials')).toBe(true);
    expect(emu.requests.filter((r) => r.expiredToken)).toHaveLength(0);
  });

  it('renews password + TOTP tokens', async () => {
    const secret = 'JBSWY3DPEHPK3PXP';
    const emu = await emulator({
      staticTokens: [],
      users: [{ username: 'jane', password: 'pw', totpSecret: secret }],
      tokenTtlSeconds: 2,
      checkDurationMs: 4000,
    });
    const dir = await workspace();
    const auth = {
      kind: 'password',
      clientId: 'gpf-warehouse',
      clientSecret: 'BK2G7Vvkn7UDc8cV7edbCnHdYminWVw2',
      username: 'jane',
      password: 'pw',
      totpSecret: secret,
    } as const;
    const run = await publishTo(emu, dir, { auth, pollIntervalMs: 200 });
    expect(run.error).toBeUndefined();
    expect(run.result?.status).toBe('CLOSED');
    expect(emu.tokensIssued.length).toBeGreaterThanOrEqual(2);
    expect(emu.tokensIssued.every((t) => t.grant === 'password')).toBe(true);
    expect(emu.requests.filter((r) => r.expiredToken)).toHaveLength(0);
    expect(totp(secret)).toMatch(/^\d{6}$/);
  });

  it('renews once on a 401 and carries on', async () => {
    const emu = await emulator({ staticTokens: [], clients: [{ id: 'svc', secret: 's' }], tokenTtlSeconds: 3600 });
    const dir = await workspace();
    emu.faults.add({ route: 'tree', times: 1, fault: { status: 401 } });
    const run = await publishTo(emu, dir, { auth: { kind: 'client-credentials', clientId: 'svc', clientSecret: 's' }, close: false });
    expect(run.error).toBeUndefined();
    expect(emu.tokensIssued).toHaveLength(2);
  });

  it('reports refused credentials plainly, recalling the yearly password renewal', async () => {
    const emu = await emulator({ staticTokens: [], users: [{ username: 'jane', password: 'right' }] });
    const dir = await workspace();
    const auth = {
      kind: 'password',
      clientId: 'gpf-warehouse',
      clientSecret: 'BK2G7Vvkn7UDc8cV7edbCnHdYminWVw2',
      username: 'jane',
      password: 'wrong',
    } as const;
    const run = await publishTo(emu, dir, { auth });
    expect(run.error).toBeInstanceOf(AuthError);
    expect(run.error?.message).toMatch(/Invalid user credentials/);
    expect(run.error?.message).toMatch(/renewed every year/);
    expect(emu.requests.filter((r) => r.route === 'token')).toHaveLength(1);
  });
});

describe('cancellation', () => {
  it('stops promptly on abort and a later run resumes the same upload', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'postData', fault: { delayMs: 400 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 600);
    const started = Date.now();
    const first = await publishTo(emu, dir, { concurrency: 1, signal: controller.signal });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(first.error?.name).toBe('CancelledError');
    expect(emu.liveUploads()[0].status).toBe('OPEN');
    emu.faults.clear();
    const second = await publishTo(emu, dir);
    expect(second.result?.upload?.id).toBe(emu.liveUploads()[0]._id);
    expect(second.result?.status).toBe('CLOSED');
    expect(emu.store.uploads.size).toBe(1);
  });
});

describe('round trips a run saves', () => {
  it('a new upload: its empty tree is not read, and its tags do not hold up the first file', async () => {
    const emu = await emulator({ latencyMs: 150 });
    const dir = await workspace();
    const run = await publishTo(emu, dir, { tags: { lot: 'ortho-2024' }, close: false });
    expect(run.error).toBeUndefined();
    const first = (route: string) => emu.requests.find((r) => r.route === route)!;
    const firstData = first('postData');
    // The tree is read once, to verify what was sent; never before the first file.
    expect(emu.requests.filter((r) => r.route === 'tree').every((r) => r.time >= firstData.time)).toBe(true);
    // Tags and the first files leave together: the first file came before the tags were answered.
    expect(firstData.time).toBeLessThan(first('tags').time + 150);
    expect(emu.liveUploads()[0].tags).toMatchObject({ lot: 'ortho-2024' });
  });

  it('a resumed upload: its tree is read before anything is sent', async () => {
    const emu = await emulator();
    const dir = await workspace();
    expect((await publishTo(emu, dir, { close: false })).error).toBeUndefined();
    const before = emu.requests.length;
    const rerun = await publishTo(emu, dir, { close: false });
    expect(rerun.error).toBeUndefined();
    expect(emu.requests.slice(before).map((r) => r.route)).toContain('tree');
    expect(rerun.sent).toEqual([]);
  });
});
