import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { quotaVerdict } from '../src/delivery/access.js';
import { harness } from './support/harness.js';
import { publishTo } from './support/lifecycle.js';

// The upload space is counted against what is still to send; a resumed upload loses the files no
// pattern matches (prune), or keeps them with a warning.

const TOKEN = 'test-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN] });

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
