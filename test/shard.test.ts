import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAction } from '../scripts/action-runner.js';
import { FAST_RETRY, publishTo } from './support/lifecycle.js';
import { harness } from './support/harness.js';
import { fixture } from './support/workspace.js';

const TOKEN = 'shard-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN] });

describe('a job matrix sharing one upload', () => {
  it('three shard jobs then a closing job: every file once, nothing sent twice, CLOSED', async () => {
    const emu = await emulator();
    const tif = await fixture('geotiff-2154.tif');
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 30; i++) files[`rasters/z${i % 3}/tile_${i}.tif`] = Buffer.concat([tif, Buffer.alloc(100 * i)]);
    files['rasters/scan.tif'] = await fixture('plain.tif');
    files['rasters/scan.tfw'] = await fixture('plain.tfw');
    const dir = await workspace(files, false);
    const common = {
      datastore: emu.datastore,
      glob: 'rasters/**',
      name: 'ortho-matrix',
      srs: 'EPSG:2154',
      token: TOKEN,
      'api-url': emu.apiUrl,
      'poll-interval': '0.05',
    };

    // The first job creates the upload with its shard; the others attach to it by id.
    const first = await runAction({ workspace: dir, inputs: { ...common, shard: '1/3', close: 'false' } });
    expect(first.exitCode, first.stdout).toBe(0);
    const uploadId = first.outputs['upload-id'];
    const others = await Promise.all(
      ['2/3', '3/3'].map((shard) => runAction({ workspace: dir, inputs: { ...common, shard, close: 'false', 'upload-id': uploadId } })),
    );
    for (const run of others) expect(run.exitCode, run.stdout).toBe(0);
    const shards = [first, ...others];
    expect(shards.map((r) => Number(r.outputs.files)).reduce((a, b) => a + b)).toBe(32);
    expect(shards.every((r) => r.outputs.uploaded === r.outputs.files && r.outputs.status === 'OPEN')).toBe(true);

    const close = await runAction({ workspace: dir, inputs: { ...common, 'upload-id': uploadId } });
    expect(close.exitCode, close.stdout).toBe(0);
    expect(close.outputs).toMatchObject({ 'upload-id': uploadId, status: 'CLOSED', files: '32', uploaded: '0', 'checks-failed': '0' });

    expect(emu.store.uploads.size).toBe(1);
    const posts = emu.requests.filter((r) => r.route === 'postData').map((r) => r.query.path);
    expect(posts).toHaveLength(32);
    expect(new Set(posts).size).toBe(32);
    const [upload] = emu.liveUploads();
    expect([...upload.files.keys()].filter((p) => p.endsWith('.md5')).sort()).toEqual([
      'checksums-1-of-3.md5',
      'checksums-2-of-3.md5',
      'checksums-3-of-3.md5',
      'checksums.md5',
    ]);
    // The world file went with its TIFF.
    const holder = shards.find((r) => r.stdout.includes('✓ data/scan.tif'));
    expect(holder?.stdout).toContain('✓ data/scan.tfw');
  });
});

describe('polling', () => {
  it('waits longer between reads while nothing changes, and logs how many it made', async () => {
    const emu = await emulator({ staticTokens: ['test-token'], checkDurationMs: 3000 });
    const dir = await workspace({ 'rasters/a.tif': await fixture('geotiff-2154.tif') }, false);
    await writeFile(path.join(dir, 'rasters', 'note.txt'), 'not matched');
    const run = await publishTo(emu, dir, { glob: ['rasters/*.tif'], pollIntervalMs: 100, retry: FAST_RETRY });
    expect(run.result?.status).toBe('CLOSED');
    const polls = emu.requests.filter((r) => r.route === 'checks').length;
    // At a fixed 100 ms, 3 s of checks would take about 30 reads; growing ×1.5 while nothing
    // changes (and starting over at each change) takes far fewer.
    expect(polls).toBeLessThan(16);
    expect(polls).toBeGreaterThanOrEqual(3);
    const done = run.events.find((e) => e.type === 'info' && /Checks finished after \d+ polls/.test(e.message));
    expect(done && done.type === 'info' && done.message).toBe(`Checks finished after ${polls} polls (2 requests each)`);
  });
});
