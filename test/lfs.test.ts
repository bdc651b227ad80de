import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/server.js';
import { runAction } from '../scripts/action-runner.js';
import { actionInputs, harness } from './support/harness.js';
import { FIXTURES } from './support/workspace.js';

// Git LFS (issue 20): a checkout without LFS content (actions/checkout's lfs: false) publishes,
// and an update fetches the content of only the files it sends, from a local file:// LFS remote.

const TOKEN = 'lfs-token';
const { emulator, workspace, defer } = harness({ staticTokens: [TOKEN], layers: { pyramidDurationMs: 40, publishDelayMs: 20 } });
const git = (cwd: string, args: string[], env: Record<string, string> = {}) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  }).trim();
const noContent = { GIT_LFS_SKIP_SMUDGE: '1' };

async function temp(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  defer(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The samples pushed with their rasters in LFS to a file:// remote, and a checkout of pointers only. */
async function lfsRepositories(): Promise<{ work: string; clone: string }> {
  const origin = path.join(await temp('lfs-origin-'), 'origin.git');
  git(os.tmpdir(), ['init', '-q', '--bare', '-b', 'main', origin]);
  const work = await workspace();
  git(work, ['init', '-q', '-b', 'main']);
  git(work, ['lfs', 'install', '--local']);
  git(work, ['lfs', 'track', '*.tif', '*.jp2']);
  git(work, ['add', '-A']);
  git(work, ['commit', '-q', '-m', 'first']);
  git(work, ['remote', 'add', 'origin', `file://${origin}`]);
  git(work, ['push', '-q', 'origin', 'main']);
  const clone = path.join(await temp('lfs-clone-'), 'clone');
  git(os.tmpdir(), ['clone', '-q', `file://${origin}`, clone], noContent);
  return { work, clone };
}
const size = async (dir: string, file: string) => (await stat(path.join(dir, 'rasters', file))).size;
const run = (emu: Emulator, dir: string) =>
  runAction({
    workspace: dir,
    inputs: actionInputs(emu, TOKEN, { layer: 'lfs_layer', services: 'wmts' }),
    env: { GITHUB_SHA: git(dir, ['rev-parse', 'HEAD']) },
  });

describe('Git LFS', () => {
  it('a checkout of pointers publishes the rasters, their content fetched; an update fetches only what changed', async () => {
    const emu = await emulator();
    const { work, clone } = await lfsRepositories();
    expect(await size(clone, 'ortho/ortho_650320_6860000.tif')).toBeLessThan(200); // a pointer
    const first = await run(emu, clone);
    expect(first.exitCode, first.stdout).toBe(0);
    expect(first.outputs).toMatchObject({ update: 'created', uploaded: '6' });
    expect(first.stdout).toMatch(/Fetching the Git LFS content of 5 file\(s\) \(git lfs pull\)/);
    const stored = [...emu.store.uploads.values()][0];
    expect(stored.files.get('data/ortho/ortho_650320_6860000.tif')?.size).toBe(await size(work, 'ortho/ortho_650320_6860000.tif'));

    // A later merge changes one tile; the checkout is made anew without content.
    await copyFile(path.join(FIXTURES, 'bigtiff-2154.tif'), path.join(work, 'rasters', 'ortho', 'ortho_650000_6860000.tif'));
    git(work, ['commit', '-q', '-am', 'second']);
    git(work, ['push', '-q', 'origin', 'main']);
    const fresh = path.join(await temp('lfs-clone-'), 'clone');
    git(os.tmpdir(), ['clone', '-q', git(clone, ['remote', 'get-url', 'origin']), fresh], noContent);
    const second = await run(emu, fresh);
    expect(second.exitCode, second.stdout).toBe(0);
    expect(second.outputs).toMatchObject({ update: 'incremental', changed: '1', uploaded: '1' });
    // Only the changed tile's content was fetched: the others are still pointers.
    expect(await size(fresh, 'ortho/ortho_650000_6860000.tif')).toBe(await size(work, 'ortho/ortho_650000_6860000.tif'));
    expect(await size(fresh, 'ortho/ortho_650320_6860000.tif')).toBeLessThan(200);
    expect(await size(fresh, 'mnt/mnt_650000_6860000.jp2')).toBeLessThan(200);
  });

  it('a name git-lfs would read as a pattern is fetched by its name alone, never as a pattern', async () => {
    const emu = await emulator();
    const { work, clone } = await lfsRepositories();
    expect((await run(emu, clone)).exitCode).toBe(0);
    // A later merge adds one tile whose name holds a star, a comma and brackets.
    await copyFile(path.join(FIXTURES, 'geotiff-2154.tif'), path.join(work, 'rasters', 'ortho', 'ortho_*,[v2].tif'));
    git(work, ['add', '-A']);
    git(work, ['commit', '-q', '-m', 'second']);
    git(work, ['push', '-q', 'origin', 'main']);
    const fresh = path.join(await temp('lfs-clone-'), 'clone');
    git(os.tmpdir(), ['clone', '-q', git(clone, ['remote', 'get-url', 'origin']), fresh], noContent);
    const second = await run(emu, fresh);
    expect(second.exitCode, second.stdout).toBe(0);
    expect(second.outputs).toMatchObject({ update: 'incremental', uploaded: '1' });
    expect(await size(fresh, 'ortho/ortho_*,[v2].tif')).toBe((await stat(path.join(FIXTURES, 'geotiff-2154.tif'))).size);
    // As a pattern, `ortho_*` would have fetched its neighbours too: they are still pointers.
    expect(await size(fresh, 'ortho/ortho_650320_6860000.tif')).toBeLessThan(200);
    expect(await size(fresh, 'ortho/ortho_650000_6860000.tif')).toBeLessThan(200);
  });

  it('an LFS server that never answers is given up at its bound, naming the files whose content is missing', async () => {
    const emu = await emulator();
    const { clone } = await lfsRepositories();
    const sockets: Socket[] = [];
    const server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    defer(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    git(clone, ['config', 'lfs.url', `http://127.0.0.1:${(server.address() as { port: number }).port}/lfs`]);
    const started = Date.now();
    const failed = await runAction({
      workspace: clone,
      inputs: actionInputs(emu, TOKEN, { layer: 'lfs_layer', services: 'wmts' }),
      env: { GITHUB_SHA: git(clone, ['rev-parse', 'HEAD']), GPF_GIT_TIMEOUT_MINUTES: '0.05' },
    });
    expect(sockets.length).toBeGreaterThan(0);
    expect(failed.exitCode).toBe(1);
    expect(failed.errors.at(-1)).toMatch(/Git LFS pointers? whose content could not be fetched \(git lfs pull: no answer within 3 s\)/);
    // One bound per batch, not the hour a default would wait.
    expect(Date.now() - started).toBeLessThan(45_000);
  });

  it('a dry run plans without fetching content', async () => {
    const emu = await emulator();
    const { clone } = await lfsRepositories();
    const dry = await runAction({
      workspace: clone,
      inputs: actionInputs(emu, TOKEN, { layer: 'lfs_layer', services: 'wmts', 'dry-run': 'true' }),
      env: { GITHUB_SHA: git(clone, ['rev-parse', 'HEAD']) },
    });
    expect(dry.exitCode, dry.stdout).toBe(0);
    expect(dry.stdout).toMatch(/5 file\(s\) to send are Git LFS pointers: a dry run neither fetches nor checks their content/);
    expect(await size(clone, 'ortho/ortho_650320_6860000.tif')).toBeLessThan(200);
  });

  it('with shard, each shard fetches the content of its own files only', async () => {
    const emu = await emulator();
    const { clone } = await lfsRepositories();
    const shard = await runAction({
      workspace: clone,
      inputs: actionInputs(emu, TOKEN, { shard: '1/2', close: 'false' }),
      env: { GITHUB_SHA: git(clone, ['rev-parse', 'HEAD']) },
    });
    expect(shard.exitCode, shard.stdout).toBe(0);
    const sent = [...[...emu.store.uploads.values()][0].files.keys()].filter((p) => p.startsWith('data/'));
    expect(sent.length).toBe(Number(shard.outputs.files));
    for (const file of [
      'ortho/ortho_650000_6860000.tif',
      'ortho/ortho_650320_6860000.tif',
      'ortho/2024/ortho_650000_6859680.tif',
      'scans/scan_1950.tif',
      'mnt/mnt_650000_6860000.jp2',
    ]) {
      const fetched = !(await readFile(path.join(clone, 'rasters', file), 'latin1')).startsWith('version https://git-lfs');
      expect(fetched, file).toBe(sent.includes(`data/${file}`));
    }
  });

  it("a shard matrix's closing job builds the layer without fetching any content: the shards sent it", async () => {
    const emu = await emulator();
    const { clone } = await lfsRepositories();
    const env = { GITHUB_SHA: git(clone, ['rev-parse', 'HEAD']) };
    for (const shard of ['1/2', '2/2']) {
      const fresh = path.join(await temp('lfs-shard-'), 'clone');
      git(os.tmpdir(), ['clone', '-q', git(clone, ['remote', 'get-url', 'origin']), fresh], noContent);
      const job = await runAction({ workspace: fresh, inputs: actionInputs(emu, TOKEN, { shard, close: 'false' }), env });
      expect(job.exitCode, job.stdout).toBe(0);
    }
    const closing = await runAction({
      workspace: clone,
      inputs: actionInputs(emu, TOKEN, { layer: 'lfs_layer', services: 'wmts', checksums: 'false' }),
      env,
    });
    expect(closing.exitCode, closing.stdout).toBe(0);
    expect(closing.outputs).toMatchObject({ update: 'created', uploaded: '0', status: 'CLOSED' });
    expect(closing.stdout).not.toMatch(/Fetching the Git LFS content/);
    for (const file of ['ortho/ortho_650000_6860000.tif', 'mnt/mnt_650000_6860000.jp2'])
      expect((await readFile(path.join(clone, 'rasters', file), 'latin1')).startsWith('version https://git-lfs'), file).toBe(true);
    expect(emu.layers.liveStoredData().length).toBe(1);
  });
});
