import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/server.js';
import { runAction } from '../scripts/action-runner.js';
import { actionInputs, harness } from './support/harness.js';
import { FIXTURES } from './support/workspace.js';
import { git, initRepository } from './support/git.js';

// Hostile input (issue 25): what the datastore's tags, a git origin and the workspace hold never
// runs, leaks or hangs. Over HTTP with the bundle, on real git repositories.

const TOKEN = 'hostile-token';
const { emulator, workspace, defer } = harness({ staticTokens: [TOKEN], layers: { pyramidDurationMs: 40, publishDelayMs: 20 } });
const LAYER = 'ortho_hostile';

async function repository(message = 'first'): Promise<string> {
  return initRepository(await workspace(), message);
}
const publish = (emu: Emulator, dir: string, options: { env?: Record<string, string>; onSpawn?: (pid: number) => void } = {}) =>
  runAction({
    workspace: dir,
    inputs: actionInputs(emu, TOKEN, { layer: LAYER, services: 'wmts' }),
    env: { GITHUB_SHA: git(dir, 'rev-parse', 'HEAD'), ...options.env },
    onSpawn: options.onSpawn,
  });

/** A git origin on 127.0.0.1 that takes connections and never answers. */
async function hangingOrigin(): Promise<{ url: string; connections: () => number }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  defer(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/rasters.git`, connections: () => sockets.length };
}

/** A layer published from one repository, then a checkout of a later commit that lacks the live one: git must fetch it. */
async function liveLayerAndShallowCheckout(emu: Emulator, origin: string): Promise<string> {
  expect((await publish(emu, await repository())).exitCode).toBe(0);
  // Another history, without the live commit: as a shallow checkout lacks it.
  const dir = await repository('elsewhere');
  await copyFile(path.join(FIXTURES, 'geotiff-2154.tif'), path.join(dir, 'rasters', 'ortho', 'ortho_new.tif'));
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'later');
  git(dir, 'remote', 'add', 'origin', origin);
  return dir;
}

describe('hostile input', () => {
  it('a live pyramid tagged with --upload-pack as its commit runs nothing: the tag is no commit id, the layer is rebuilt', async () => {
    const emu = await emulator();
    const marker = path.join(await mkdtemp(path.join(os.tmpdir(), 'pwned-')), 'created');
    defer(() => rm(path.dirname(marker), { recursive: true, force: true }));
    const bare = await mkdtemp(path.join(os.tmpdir(), 'origin-'));
    defer(() => rm(bare, { recursive: true, force: true }));
    git(bare, 'init', '-q', '--bare');
    const dir = await repository();
    git(dir, 'remote', 'add', 'origin', bare);
    expect((await publish(emu, dir)).exitCode).toBe(0);
    // Anyone with rights on the datastore can write a tag.
    const [pyramid] = emu.layers.liveStoredData();
    pyramid.tags.github_sha = `--upload-pack=touch ${marker}`;
    await copyFile(path.join(FIXTURES, 'geotiff-2154.tif'), path.join(dir, 'rasters', 'ortho', 'ortho_new.tif'));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'later');
    const run = await publish(emu, dir);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.update).toBe('full');
    expect(run.stdout).toMatch(/the live pyramid does not say which commit it reflects/);
    expect(existsSync(marker)).toBe(false);
  });

  it('a git origin that never answers is given up at its bound: the run goes on with a full rebuild', async () => {
    const emu = await emulator();
    const origin = await hangingOrigin();
    const dir = await liveLayerAndShallowCheckout(emu, origin.url);
    const run = await publish(emu, dir, { env: { GPF_GIT_TIMEOUT_MINUTES: '0.05' } });
    expect(origin.connections()).toBeGreaterThan(0);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.update).toBe('full');
    expect(run.stdout).toMatch(/cannot be read, even fetched alone/);
  });

  it('SIGTERM ends a run stuck in git within 10 s, the git call and what it started killed', async () => {
    const emu = await emulator();
    const origin = await hangingOrigin();
    const dir = await liveLayerAndShallowCheckout(emu, origin.url);
    let pid = 0;
    let signalledAt = 0;
    const running = publish(emu, dir, { onSpawn: (p) => (pid = p) });
    // Once git is connected to the origin that never answers, the job is cancelled.
    while (origin.connections() === 0) await new Promise((r) => setTimeout(r, 50));
    signalledAt = Date.now();
    process.kill(pid, 'SIGTERM');
    const run = await running;
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(run.exitCode).toBe(1);
    expect(run.errors.at(-1)).toMatch(/Cancelled/);
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(origin.url);
  });

  it('git missing from the runner is said as such, not as "not a git repository"', async () => {
    const emu = await emulator();
    const dir = await repository();
    expect((await publish(emu, dir)).exitCode).toBe(0);
    const run = await publish(emu, dir, { env: { PATH: '/nonexistent' } });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.update).toBe('full');
    expect(run.stdout).toMatch(/git is not installed on this runner \(or not on PATH\)/);
  });
});
