import { appendFileSync, mkdirSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalFileError } from '../src/shared/errors.js';
import { harness } from './support/harness.js';
import { publishTo } from './support/lifecycle.js';
import { fixture } from './support/workspace.js';

// A local file that changes, vanishes or cannot be read while it is sent is named as local, never
// as the network, and is never stored truncated or with bytes other than the final file's.

const TOKEN = 'test-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN] });

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
